#!/usr/bin/env bash
# Several instances behind nginx on one PostgreSQL (issue 14), in one run:
# (0) what several instances must get right, checked through the instances' own ports: signed up through
#     one, signed in on the other; one quiz form sent through both is stored once; an instructor signed in
#     on one sees in live.json an attempt made through the other;
# (a) pages/s and p99 through nginx → 2 instances vs the same nginx → 1 instance (one nginx, two listeners):
#     an anonymous topic page and a signed-in one, `wrk -t2 -c64`;
# (b) quiz submissions/s and p99 the same two ways (examples/quiz_load.rs, which counts the attempts
#     acknowledged with a 303 and checks them against the database);
# (c) under quiz load, a rolling restart (SIGTERM one, start it again, then the other), then kill -9 of one:
#     nginx retries on the other (`proxy_next_upstream … non_idempotent`); every acknowledged attempt must
#     be in the database, and the failed requests are counted;
# (d) one instance on PostgreSQL vs one on SQLite, no nginx: quiz submissions/s and p99, and an instructor's
#     class overview and question analysis (a class made by demo-seed, as bench/instructor.sh).
# PostgreSQL is a throwaway cluster (scripts/with-postgres: Unix socket, fsync off), a database per run.
# SCALEOUT_BACKEND=sqlite-file runs (0)–(c) with both instances on ONE shared SQLite file instead (WAL lets
# several processes use one file): for the machinery, and labeled so; (d) then needs PostgreSQL and is skipped.
# Writes bench/results/issue-14-scaleout.md and reassembles bench/RESULTS.md. SCALEOUT_CHECKS_ONLY=1 runs (0) alone.
# Usage: bench/scaleout.sh [seconds per run, default 15] [quiz clients, default 64]
#          [overview learners, default 1000] [overview attempts each, default 20]
# Needs wrk, nginx (/usr/sbin/nginx), curl, python3; psql (PostgreSQL) or sqlite3 (sqlite-file).
set -euo pipefail
backend=${SCALEOUT_BACKEND:-postgres}
case "$backend" in postgres | sqlite-file) ;; *) echo "SCALEOUT_BACKEND: postgres or sqlite-file" >&2; exit 2 ;; esac
if [ "$backend" = postgres ] && [ -z "${INFRA_DOJO_TEST_POSTGRES:-}" ]; then
  exec "$(dirname "$0")/../scripts/with-postgres" "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
seconds=${1:-15}
clients=${2:-64}
learners=${3:-1000}
learner_attempts=${4:-20}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo --example quiz_load
bin=$repo_dir/target/release/infra-dojo
load=$repo_dir/target/release/examples/quiz_load
work=$(mktemp -d)
chmod 755 "$work"
pids=()
# At exit, whatever is still running is killed (quietly: the shell would report each as "Killed").
cleanup() {
  exec 2>/dev/null
  # nginx's workers first: killed alone, its master would leave them listening on the ports.
  [ -n "${nginx_pid:-}" ] && { pkill -9 -P "$nginx_pid" || true; }
  for p in "${pids[@]}"; do kill -9 "$p" || true; done
  wait || true
  rm -rf "$work"
}
trap cleanup EXIT
# This helper's port range (18400-18499): the instances, their metrics, nginx's listeners.
port_a=18401; port_b=18402; port_single=18403
metrics_a=18421; metrics_b=18422
nginx_two=18410; nginx_one=18411; nginx_kill=18412

# new_db NAME [sqlite]: a fresh database's --db: a PostgreSQL database made in the throwaway cluster, or
# (sqlite-file, or with "sqlite") a file path.
new_db() {
  if [ "$backend" = postgres ] && [ "${2:-}" != sqlite ]; then
    local name=scaleout_${1//-/_} # an unquoted identifier: no "-"
    psql -q -v ON_ERROR_STOP=1 "$INFRA_DOJO_TEST_POSTGRES" -c "create database $name" >/dev/null
    echo "${INFRA_DOJO_TEST_POSTGRES/\/postgres\?//$name?}"
  else
    echo "$work/$1.db"
  fi
}
# sql DB QUERY: one value from either backend. The query goes through standard input (printf is a shell
# builtin): the list of acknowledged attempt ids is longer than a command line may be.
sql() {
  case "$1" in
    postgres*) printf '%s\n' "$2" | psql -qtA -v ON_ERROR_STOP=1 "$1" ;;
    *) printf '%s\n' "$2" | sqlite3 -batch -noheader "$1" ;;
  esac
}

# start NAME PORT DB [METRICS_PORT]: an instance as in docs/DEPLOY.md (behind a proxy on this machine);
# sets $started to its pid. The first start on a database makes its schema: start one, then the others.
start() {
  local name=$1 port=$2 db=$3 metrics=${4:-}
  : >"$work/$name.log"
  RUST_LOG=warn,infra_dojo=info NO_COLOR=1 "$bin" serve --bind "127.0.0.1:$port" --db "$db" --db-must-exist \
    --trusted-proxy 127.0.0.1 --max-connections-per-client 4096 ${metrics:+--metrics-bind 127.0.0.1:$metrics} \
    >>"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
  wait_ok "http://127.0.0.1:$port/healthz" "$(now_ms)" >/dev/null
  # Its anonymous pages are compressed on a thread of their own after start: not during a measurement.
  for _ in $(seq 1 300); do
    grep -q 'anonymous pages compressed' "$work/$name.log" && break
    sleep 0.1
  done
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# --- The databases and the two instances ----------------------------------------------------------------
db=$(new_db shared)
# A class (and demo-teacher) for (0)'s live-count check; this also makes the schema.
RUST_LOG=error "$bin" demo-seed --db "$db" --learners 1 --attempts 1 --bind "127.0.0.1:$port_a" >"$work/seed.out"
join_code=$(sed -n 's/.*参加コード: *\([A-Z0-9-]*\).*/\1/p' "$work/seed.out" | head -n 1)
class_path=$(grep -o '/instructor/classes/[0-9]*' "$work/seed.out" | head -n 1)
[ -n "$join_code" ] && [ -n "$class_path" ] || { echo "demo-seed printed no class:" >&2; cat "$work/seed.out" >&2; exit 1; }
start a "$port_a" "$db" "$metrics_a"; pid_a=$started
start b "$port_b" "$db" "$metrics_b"; pid_b=$started
a="http://127.0.0.1:$port_a"; b="http://127.0.0.1:$port_b"

# --- nginx: one process, three listeners over the same two instances -------------------------------------
# The upstream block is the one docs/DEPLOY.md shows (ports moved). nginx runs unprivileged (as nobody when
# this script is root), in the foreground, loopback only, everything under $work/nginx.
mkdir -p "$work/nginx"
upstream_servers() { for p in "$@"; do echo "    server 127.0.0.1:$p max_fails=1 fail_timeout=5s;"; done; }
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000;
  # Which instance answered, and whether the request was tried on another first (a comma in
  # \$upstream_status): the kill listener logs it.
  log_format upstream '\$request_method \$uri \$status "\$upstream_addr" "\$upstream_status"';

  upstream two {
$(upstream_servers "$port_a" "$port_b")
    keepalive 64;
    keepalive_timeout 5s;
  }
  upstream one {
$(upstream_servers "$port_a")
    keepalive 64;
    keepalive_timeout 5s;
  }
  server {
    listen 127.0.0.1:$nginx_two;
    location / { proxy_pass http://two; include $work/nginx/proxy.conf; }
  }
  server {
    listen 127.0.0.1:$nginx_one;
    location / { proxy_pass http://one; include $work/nginx/proxy.conf; }
  }
  server {
    listen 127.0.0.1:$nginx_kill;
    access_log $work/nginx/kill.log upstream buffer=64k flush=1s;
    location / { proxy_pass http://two; include $work/nginx/proxy.conf; }
  }
}
CONF
cat >"$work/nginx/proxy.conf" <<'CONF'
proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $host;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Forwarded-Proto $scheme;
# An instance that refuses the connection, drops it, or answers 502/503 (draining, or its database
# unreachable) costs the visitor nothing: the request goes to the next instance. `non_idempotent` lets
# nginx resend a POST too, even one the dead instance may already have received. That is safe here
# for what matters: a quiz submission carries its form's one-time token and the store keeps one attempt
# per token (a resent form gets the first one's result), so no attempt is stored twice. Of the other
# POSTs, log-in, join and reset repeat to the same state; a resent sign-up finds its name taken and says
# so, though the account was made (signing in works).
proxy_next_upstream error timeout http_502 http_503 non_idempotent;
proxy_next_upstream_tries 2;
proxy_connect_timeout 2s;
CONF
as_nobody=()
if [ "$(id -u)" -eq 0 ]; then
  chown -R nobody: "$work/nginx"
  as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
"${as_nobody[@]}" /usr/sbin/nginx -t -q -c "$work/nginx/nginx.conf" -p "$work/nginx"
"${as_nobody[@]}" /usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>>"$work/nginx/stderr.log" &
nginx_pid=$!
pids+=("$nginx_pid")
# A port still held (say, by an nginx left over from an aborted run) stops it at once: never measure another.
sleep 0.5
kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx did not start:" >&2; cat "$work/nginx/stderr.log" >&2; exit 1; }
two="http://127.0.0.1:$nginx_two"; one="http://127.0.0.1:$nginx_one"
wait_ok "$two/healthz" "$(now_ms)" >/dev/null
wait_ok "$one/healthz" "$(now_ms)" >/dev/null

# --- Where the CPU goes -----------------------------------------------------------------------------------
# ticks PID...: CPU time (1/100 s) used by these processes and their children, those reaped included.
ticks() {
  local p t=0 v
  for p in "$@"; do
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + v))
  done
  echo "$t"
}
children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }
postmaster=
if [ "$backend" = postgres ]; then
  postmaster=$(head -n 1 "${INFRA_DOJO_TEST_POSTGRES##*host=}/data/postmaster.pid")
fi
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# snapshot: "A B nginx PostgreSQL machine" ticks now.
snapshot() {
  local pg=0
  [ -n "$postmaster" ] && pg=$(ticks "$postmaster" $(children "$postmaster"))
  echo "$(ticks "${pid_a:-0}") $(ticks "${pid_b:-0}") $(ticks "$nginx_pid" $(children "$nginx_pid")) $pg $(machine_busy)"
}
# measured NAME READY CMD...: runs CMD (wrk or quiz_load; stdout into $work/NAME.raw, stderr into
# $work/NAME.err) and, from when its stderr has READY (at once if empty) for the run's last second less,
# the CPU each part used: $work/NAME.cpu is "seconds A B nginx PostgreSQL load-generator machine" (cores).
measured() {
  local name=$1 ready=$2; shift 2
  "$@" >"$work/$name.raw" 2>"$work/$name.err" &
  local gen=$! before after t0 t1
  pids+=("$gen")
  if [ -n "$ready" ]; then
    until grep -q "$ready" "$work/$name.err"; do
      kill -0 "$gen" 2>/dev/null || { cat "$work/$name.err" >&2; exit 1; }
      sleep 0.05
    done
  fi
  sleep 0.3
  t0=$(now_ms); before="$(snapshot) $(ticks "$gen" $(children "$gen"))"
  sleep "$(awk -v s="$seconds" 'BEGIN { print s - 1 }')"
  t1=$(now_ms); after="$(snapshot) $(ticks "$gen" $(children "$gen"))"
  wait "$gen"
  echo "$before $after" | awk -v ms=$((t1 - t0)) '{
    s = ms / 1000; printf "%.1f %.2f %.2f %.2f %.2f %.2f %.2f\n", s, ($7-$1)/100/s, ($8-$2)/100/s, ($9-$3)/100/s,
      ($10-$4)/100/s, ($12-$6)/100/s, ($11-$5)/100/s }' >"$work/$name.cpu"
}

# --- (0) What several instances must get right ----------------------------------------------------------
csrf_of() { grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }
# signup BASE JAR NAME: a learner signed up through BASE, cookies in JAR.
signup() {
  local csrf status
  csrf=$(curl -fs -c "$2" -b "$2" "$1/signup" | csrf_of)
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$2" -b "$2" --data-urlencode "csrf=$csrf" \
    --data-urlencode "name=$3" --data-urlencode "display_name=$3" \
    --data-urlencode "password=bench-password-123" --data-urlencode "next=/" "$1/signup")
  [ "$status" = 303 ] || { echo "sign-up through $1: HTTP $status" >&2; exit 1; }
}
# quiz_form: a quiz page on stdin → the form's body (csrf, token, an answer to every question), as
# examples/quiz_load.rs fills it.
quiz_form() {
  python3 -c '
import sys, urllib.parse
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.f = []; s.seen = set(); s.pos = {}; s.inform = False; s.csrf = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "form" and "data-quiz" in a: s.inform = True
        if tag == "select" and "name" in a:
            q = a["name"].rsplit(".", 1)[0]; s.pos[q] = s.pos.get(q, 0) + 1
            s.f.append((a["name"], str(s.pos[q])))
        if tag != "input": return
        n = a.get("name", "")
        if n == "csrf" and s.inform and s.csrf is None: s.csrf = a["value"]
        if n == "token": s.f.append(("token", a["value"]))
        if n.startswith("a.") and n not in s.seen and a.get("type") in ("radio", "checkbox", "text"):
            s.seen.add(n); s.f.append((n, "1" if a["type"] == "text" else a["value"]))
p = P(); p.feed(sys.stdin.read())
print(urllib.parse.urlencode([("csrf", p.csrf)] + p.f))'
}
# post_form BASE JAR BODY: the quiz form sent; prints "STATUS LOCATION".
post_form() {
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' -b "$2" --data "$3" "$1/topics/tcp/quiz"
}
attempts() { sql "$db" "select count(*) from attempt"; }
check() { # LABEL CONDITION DETAIL
  if eval "$2"; then echo "| $1 | $3 | ok |"; else echo "| $1 | $3 | **FAILED** |"; checks_failed=1; fi
}
checks_failed=0
jar="$work/learner.jar"
signup "$a" "$jar" "scaleout-learner"
me_b=$(curl -fs -b "$jar" "$b/me")
grep -q 'scaleout-learner' <<<"$me_b" && on_b=yes || on_b=no
form=$(curl -fs -b "$jar" "$a/topics/tcp/quiz" | quiz_form)
n0=$(attempts)
read -r s1 l1 < <(post_form "$a" "$jar" "$form")
read -r s2 l2 < <(post_form "$b" "$jar" "$form")
n1=$(attempts)
# The same form through both at once, as a retry racing the first try would be.
form=$(curl -fs -b "$jar" "$b/topics/tcp/quiz" | quiz_form)
post_form "$a" "$jar" "$form" >"$work/race.a" & race=$!
post_form "$b" "$jar" "$form" >"$work/race.b"
wait "$race"
n2=$(attempts)
read -r s3 l3 <"$work/race.a"; read -r s4 l4 <"$work/race.b"
# An instructor signed in on A; a class member submits through B; live.json on A counts it.
teacher="$work/teacher.jar"
csrf=$(curl -fs -c "$teacher" -b "$teacher" "$a/login" | csrf_of)
curl -s -o /dev/null -c "$teacher" -b "$teacher" --data-urlencode "csrf=$csrf" --data-urlencode "name=demo-teacher" \
  --data-urlencode "password=demo-password" --data-urlencode "next=/instructor" "$a/login"
live_tcp() { curl -fs -b "$teacher" "$a$class_path/live.json" | python3 -c '
import json, sys
print(sum(t["attempts"] for t in json.load(sys.stdin)["topics"] if t["topic"] == "tcp"))'; }
member="$work/member.jar"
signup "$b" "$member" "scaleout-member"
csrf=$(curl -fs -b "$member" "$b/join/$join_code" | csrf_of)
join_status=$(curl -s -o /dev/null -w '%{http_code}' -b "$member" --data-urlencode "csrf=$csrf" "$b/join/$join_code")
live0=$(live_tcp)
form=$(curl -fs -b "$member" "$b/topics/tcp/quiz" | quiz_form)
read -r s5 _ < <(post_form "$b" "$member" "$form")
live1=$(live_tcp)
{
  echo "| check | seen | |"
  echo "|---|---|---|"
  check "signed up through A, \`/me\` through B shows the learner" '[ "$on_b" = yes ]' "$on_b"
  check "one quiz form sent through A, then again through B: stored once" '[ "$s1 $s2" = "303 303" ] && [ "${l1##*/}" = "${l2##*/}" ] && [ $((n1 - n0)) = 1 ]' "$s1 then $s2, to attempt ${l1##*/}, then ${l2##*/}; attempts +$((n1 - n0))"
  check "another form sent through A and B at the same moment: stored once" '[ "$s3 $s4" = "303 303" ] && [ "${l3##*/}" = "${l4##*/}" ] && [ $((n2 - n1)) = 1 ]' "$s3 and $s4, both to attempt ${l3##*/}; attempts +$((n2 - n1))"
  check "a member joins and submits through B; the instructor's live.json on A counts it" '[ "$join_status $s5" = "303 303" ] && [ $((live1 - live0)) = 1 ]' "TCP attempts in live.json $live0 → $live1"
} >"$work/checks.md"
cat "$work/checks.md"
# SCALEOUT_CHECKS_ONLY=1: the checks above and nothing else (no load: no need for the benchmark lock).
if [ -n "${SCALEOUT_CHECKS_ONLY:-}" ]; then exit "$checks_failed"; fi

# --- (a) pages through nginx → 2 and → 1 ----------------------------------------------------------------
browser='gzip, deflate, br, zstd'
reader="$work/reader.jar"
signup "$two" "$reader" "scaleout-reader"
cookie=$(sed 's/^#HttpOnly_//' "$reader" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }')
grep -q scaleout-reader <<<"$(curl -fs -H "Cookie: $cookie" "$one/me")" || { echo "reader not signed in" >&2; exit 1; }
# bench NAME URL [HEADER...]: 2 s of warm-up, then the measured run into $work/NAME.txt.
bench() {
  local name=$1 url=$2; shift 2
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  wrk -t2 -c64 -d2s "${args[@]}" "$url" >/dev/null
  measured "$name" "" wrk -t2 -c64 -d"${seconds}s" --latency "${args[@]}" "$url"
  mv "$work/$name.raw" "$work/$name.txt"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")/s"
}
for n in one two; do
  base=$([ $n = one ] && echo "$one" || echo "$two")
  bench "anon-$n" "$base/topics/tcp" "Accept-Encoding: $browser"
  bench "signed-$n" "$base/topics/tcp" "Accept-Encoding: $browser" "Cookie: $cookie"
done
# Both instances took part: their own metrics count the signed-in pages each answered.
served() { curl -fs "http://127.0.0.1:$1/metrics" | awk '/^http_requests_total\{.*route="\/topics\/\{slug\}".*status="200"/ { s += $2 } END { printf "%d", s }'; }
served_a=$(served "$metrics_a"); served_b=$(served "$metrics_b")

# --- (b) quiz submissions through nginx → 2 and → 1 -----------------------------------------------------
# quiz NAME BASE DB: quiz_load's summary line into $work/NAME.out.
quiz() {
  measured "$1" "submitting for" "$load" "$2" "$3" "$clients" "$seconds"
  tail -n 1 "$work/$1.raw" >"$work/$1.out"
  echo "$1: $(cat "$work/$1.out")"
}
get() { tr ' ' '\n' <"$work/$1.out" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
quiz quiz-one "$one" "$db"
quiz quiz-two "$two" "$db"
# What the two instances hold open (each pool keeps its connections a while after use).
connections=n/a
if [ "$backend" = postgres ]; then
  connections=$(psql -qtA "$INFRA_DOJO_TEST_POSTGRES" -c "select count(*) from pg_stat_activity where datname = 'scaleout_shared'")
fi

# --- (c) a rolling restart, then kill -9, each under quiz load ------------------------------------------
# disrupted NAME ACTION: quiz load through the logging listener for max(seconds, 20) s; once 300 attempts
# are acknowledged, ACTION runs. Then: the acknowledged attempts missing from the database, and what nginx
# logged (each request's final status; requests it sent to a second instance after the first failed).
disrupted() {
  local name=$1 action=$2 acks="$work/$1.acks" gen n
  : >"$acks"
  QUIZ_LOAD_ACKS="$acks" "$load" "http://127.0.0.1:$nginx_kill" "$db" "$clients" $((seconds > 20 ? seconds : 20)) \
    2>"$work/$name.err" >"$work/$name.raw" &
  gen=$!
  pids+=("$gen")
  for _ in $(seq 1 600); do
    [ "$(wc -l <"$acks")" -ge 300 ] && break
    kill -0 "$gen" 2>/dev/null || break
    sleep 0.1
  done
  wc -l <"$acks" >"$work/$name.acked_before"
  "$action" >"$work/$name.action"
  wait "$gen" || true
  tail -n 1 "$work/$name.raw" >"$work/$name.out"
  sleep 1.5 # nginx writes its buffered log every second
  mv "$work/nginx/kill.log" "$work/$name.log"
  kill -USR1 "$nginx_pid" # reopen its logs
  sort -u "$acks" | grep -c . >"$work/$name.acked" || true
  n=$(sort -u "$acks" | paste -sd, -)
  sql "$db" "select count(*) from attempt where attempt_id in (${n:-0})" >"$work/$name.found"
  awk -F'"' '$4 ~ /,/' "$work/$name.log" | wc -l >"$work/$name.retried"
  awk -F'"' '$4 ~ /,/ && /^POST/' "$work/$name.log" | wc -l >"$work/$name.retried_post"
  awk '{ c[$3]++ } END { for (s in c) printf "%s × %s, ", s, c[s] }' "$work/$name.log" | sed 's/, $//' >"$work/$name.statuses"
  echo "$name: $(cat "$work/$name.out"); acked $(cat "$work/$name.acked") found $(cat "$work/$name.found") retried $(cat "$work/$name.retried") statuses $(cat "$work/$name.statuses")"
}
# restart NAME PORT METRICS PID: SIGTERM (the server drains: stops accepting, finishes what is in flight),
# then the same instance started again, as an upgrade would: sets $started and $restart_ms (SIGTERM to
# /healthz 200 and its pages compressed).
restart() {
  local t0
  t0=$(now_ms)
  stop "$4"
  start "$1" "$2" "$db" "$3"
  restart_ms=$(( $(now_ms) - t0 ))
}
rolling() {
  local b_ms
  restart b "$port_b" "$metrics_b" "$pid_b"; pid_b=$started; b_ms=$restart_ms
  # nginx counts B's refused connections as failures and leaves B out for fail_timeout (5 s): stopping A
  # before then would leave no instance to send requests to (docs/DEPLOY.md §9.4).
  sleep 6
  restart a "$port_a" "$metrics_a" "$pid_a"; pid_a=$started
  echo "B drained, stopped and back in $b_ms ms; 6 s later A in $restart_ms ms"
}
kill_b() {
  kill -9 "$pid_b"
  wait "$pid_b" 2>/dev/null || true
  echo "B killed at $(date -u '+%H:%M:%S') UTC, not restarted"
}
disrupted roll rolling
disrupted kill kill_b
stop "$pid_a"
kill -QUIT "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true

# --- (d) one instance on PostgreSQL vs on SQLite --------------------------------------------------------
measure() { # URL JAR: median and slowest of 20 GETs after 2 warm-ups, in ms
  local url=$1 times="$work/times" code t
  : >"$times"
  for i in $(seq 1 22); do
    read -r code t < <(curl -s -o /dev/null -b "$2" -w '%{http_code} %{time_total}\n' "$url")
    [ "$code" = 200 ] || { echo "GET $url: HTTP $code" >&2; exit 1; }
    [ "$i" -gt 2 ] && echo "$t" >>"$times"
  done
  sort -n "$times" | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", (v[10] + v[11]) / 2, v[NR] }'
}
# single NAME KIND: quiz_load against one instance on a fresh database, then a demo class's overview.
single() {
  local name=$1 kind=$2 d base="http://127.0.0.1:$port_single" pid t0
  d=$(new_db "$name-quiz" "$kind")
  # The schema (serve runs with --db-must-exist, as in production).
  RUST_LOG=error "$bin" demo-seed --db "$d" --learners 1 --attempts 1 >/dev/null
  start "$name" "$port_single" "$d"; pid=$started
  quiz "$name-quiz" "$base" "$d"
  stop "$pid"
  d=$(new_db "$name-class" "$kind")
  t0=$(now_ms)
  RUST_LOG=error "$bin" demo-seed --db "$d" --learners "$learners" --attempts "$learner_attempts" >"$work/$name.seed"
  echo $(( $(now_ms) - t0 )) >"$work/$name.seed_ms"
  local path jar="$work/$name-teacher.jar" csrf status
  path=$(grep -o '/instructor/classes/[0-9]*' "$work/$name.seed" | head -n 1)
  start "$name" "$port_single" "$d"; pid=$started
  csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | csrf_of)
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
    --data-urlencode "name=demo-teacher" --data-urlencode "password=demo-password" --data-urlencode "next=/instructor" "$base/login")
  [ "$status" = 303 ] || { echo "login failed: HTTP $status" >&2; exit 1; }
  measure "$base$path" "$jar" >"$work/$name.overview"
  measure "$base$path/topics/tcp" "$jar" >"$work/$name.analysis"
  stop "$pid"
  echo "$name: overview $(cat "$work/$name.overview") analysis $(cat "$work/$name.analysis")"
}
if [ "$backend" = postgres ]; then
  single pg postgres
  single lite sqlite
fi

# --- The report -----------------------------------------------------------------------------------------
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/$1.txt"; }
p99() {
  awk '/ 99%/ { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v*=1000 } printf "%.2f", v }' "$work/$1.txt"
}
errors() { local e; e=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$1.txt" | tr '\n' ' '); echo "${e:-none}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
page_row() { echo "| $1 | $(rps "$2-one") / $(p99 "$2-one") ms | $(rps "$2-two") / $(p99 "$2-two") ms | $(ratio "$(rps "$2-two")" "$(rps "$2-one")")× |"; }
quiz_row() { echo "| $1 | $(get "$2" rps) | $(get "$2" p50_ms) / $(get "$2" p99_ms) / $(get "$2" max_ms) ms | $(get "$2" failed) | $(get "$2" stored) / $(get "$2" ok) |"; }
cpu_row() { read -r sec ca cb cn cp cg cm <"$work/$1.cpu"; echo "| $1 | $ca | $cb | $cn | $cp | $cg | $cm |"; }
# cpu NAME FIELD: a value of $work/NAME.cpu (1 seconds, 2 A, 3 B, 4 nginx, 5 PostgreSQL, 6 load generator,
# 7 machine).
cpu() { cut -d' ' -f"$2" "$work/$1.cpu"; }
ours() { awk -v a="$(cpu "$1" 2)" -v b="$(cpu "$1" 3)" -v n="$(cpu "$1" 4)" -v p="$(cpu "$1" 5)" -v g="$(cpu "$1" 6)" 'BEGIN { printf "%.2f", a + b + n + p + g }'; }
others() { awk -v m="$(cpu "$1" 7)" -v o="$(ours "$1")" 'BEGIN { v = m - o; printf "%.2f", v < 0 ? 0 : v }'; }
notes() {
  cat <<MD
**What limits the ratio here, and what a bigger machine needs.** nginx → 2 over nginx → 1 was
$(ratio "$(rps anon-two)" "$(rps anon-one)")× for the anonymous page, $(ratio "$(rps signed-two)" "$(rps signed-one)")× for the signed-in page and
$(ratio "$(get quiz-two rps)" "$(get quiz-one rps)")× for quiz submissions: no scaling, and none can show on this machine, for these reasons.

1. **There is no idle core for the second instance.** The machine has 2 cores; in the → 1 quiz run it was
   busy $(cpu quiz-one 7) of 2 (our processes $(ours quiz-one): instance A $(cpu quiz-one 2), nginx $(cpu quiz-one 4), $([ "$backend" = postgres ] && echo "PostgreSQL $(cpu quiz-one 5), ")the load
   generator $(cpu quiz-one 6); the other sessions sharing the machine $(others quiz-one)), in the → 2 run $(cpu quiz-two 7) (A
   $(cpu quiz-two 2) + B $(cpu quiz-two 3)). One instance already runs a worker thread per core and can use both; a
   second process only splits the same CPU time in two, and adds context switches, a second pool and a
   second set of caches.
2. **Everything shares those two cores.** nginx parses every request and response once more and crosses
   loopback twice, the database server (PostgreSQL's backends, or SQLite's work inside each instance),
   wrk or quiz_load (which also parses every quiz page) and the instances all take turns on the same cores:
   the CPU an instance can use is what the others leave, with or without a second instance.
3. **Attempts are written one transaction at a time across all instances.** Each instance's writer commits
   groups of attempts, but every group first takes one PostgreSQL advisory lock shared by all instances
   (progress and class aggregates are read, computed and written back under it), just as SQLite has one
   writer at a time; a second instance adds grading and page-rendering capacity, not write capacity.

To show scaling, a machine (or machines) where each part has cores of its own: each instance on 2 or more
cores (its own VM, or pinned with \`taskset\`/\`CPUAffinity=\`), PostgreSQL on its own cores with a disk whose
commits are fast (this cluster runs with \`fsync=off\`; a real one waits for its WAL to reach the disk at each
commit, which makes the one-at-a-time write path the limit sooner), nginx on its own core(s), and the load
generators on another machine so they take nothing from the servers. Then pages (CPU-bound: session lookup,
rendering, compression) should grow with the number of instances until nginx, the network or
PostgreSQL's per-query CPU stops them, while quiz submissions grow only until the shared write lock is busy
all the time; past that, a faster commit (disk) or a shorter locked section, not more instances, is what helps.
MD
}
if [ "$backend" = postgres ]; then
  pg_version=$(psql -qtA "$INFRA_DOJO_TEST_POSTGRES" -c 'show server_version' | cut -d' ' -f1)
  on="one PostgreSQL $pg_version database (throwaway cluster on a Unix socket, \`fsync=off\`, \`synchronous_commit=off\`: scripts/with-postgres)"
  title="Two instances behind nginx on PostgreSQL"
else
  on="**one shared SQLite file** (WAL; both processes write to it, each with its own attempt writer) — NOT PostgreSQL: main could not serve on PostgreSQL when this ran"
  title="Two instances behind nginx on one SQLite file (machinery run, not PostgreSQL)"
fi
{
  cat <<MD
## $title (\`${SCALEOUT_BACKEND:+SCALEOUT_BACKEND=$SCALEOUT_BACKEND }bench/scaleout.sh $seconds $clients $learners $learner_attempts\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine); load average before the run $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')
(other sessions share the machine). Release build. Two \`infra-dojo serve\` processes (A and B) on $on,
each started as docs/DEPLOY.md shows (\`--trusted-proxy 127.0.0.1 --max-connections-per-client 4096\`, metrics
on a port of its own). One nginx $(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2) process (\`worker_processes auto\`, unprivileged, loopback)
listens three times: over an upstream of A and B ("→ 2"), over an upstream of A alone ("→ 1"), and over A and B
with an access log of which instance answered (for the kill). Upstream as in DEPLOY.md: \`keepalive 64\`,
\`max_fails=1 fail_timeout=5s\`, \`proxy_next_upstream error timeout http_502 http_503 non_idempotent\`. nginx,
both instances, the database and the load generators share the machine's cores.

**What several instances must get right**, through the instances' own ports (curl; the quiz form filled as
quiz_load fills it):

$(cat "$work/checks.md")

**Pages** through nginx, \`wrk -t2 -c64 -d${seconds}s --latency\` after 2 s of warm-up, \`Accept-Encoding: $browser\`;
"signed in" sends a learner's session cookie (the session is looked up in the database on every request):

| request | nginx → 1: requests/s / p99 | nginx → 2: requests/s / p99 | 2 ÷ 1 |
|---|---|---|---|
$(page_row "\`/topics/tcp\`, anonymous" anon)
$(page_row "\`/topics/tcp\`, signed in" signed)

Both instances served: their metrics counted $served_a (A) and $served_b (B) \`/topics/{slug}\` 200s over all
runs (B takes only the → 2 runs' half). wrk's errors: $(for n in anon-one anon-two signed-one signed-two; do printf '%s %s; ' "$n" "$(errors "$n")"; done)

**Quiz submissions** through nginx: $clients learners signed up through nginx (each from its own loopback
address, which nginx passes in \`X-Forwarded-For\`), each submitting the 10-question TCP quiz on its own
keep-alive connection for ${seconds} s (\`examples/quiz_load.rs\`: the quiz page, then the form; latency of the
form's POST). "stored / acknowledged": the attempts the database gained against the 303s quiz_load received.

| run | submissions/s | p50 / p99 / slowest | failed | stored / acknowledged |
|---|---|---|---|---|
$(quiz_row "nginx → 1" quiz-one)
$(quiz_row "nginx → 2" quiz-two)

2 ÷ 1: $(ratio "$(get quiz-two rps)" "$(get quiz-one rps)")× submissions/s. Connections open to the database right after the → 2
run (both instances' pools and attempt writers): $connections.

**An instance going away under quiz load**, through the logging listener over A and B: the same quiz load
($clients learners, $((seconds > 20 ? seconds : 20)) s); once 300 attempts were acknowledged, either a rolling restart
(docs/DEPLOY.md §9: SIGTERM to B, which drains; B started again and healthy; 6 s later — nginx's \`fail_timeout\` — the same for A),
or \`kill -9\` of B (not restarted: A carried on alone). "Lost": acknowledged with a 303, not in the database.

| measure | rolling restart | kill -9 |
|---|---|---|
| what happened | $(cat "$work/roll.action") | $(cat "$work/kill.action"), after $(cat "$work/kill.acked_before") acknowledged |
| quiz_load: submissions/s, p99 / slowest | $(get roll rps)/s, $(get roll p99_ms) / $(get roll max_ms) ms | $(get kill rps)/s, $(get kill p99_ms) / $(get kill max_ms) ms |
| acknowledged attempts (distinct ids) | $(cat "$work/roll.acked") | $(cat "$work/kill.acked") |
| of them in the database | $(cat "$work/roll.found") | $(cat "$work/kill.found") |
| **lost** | **$(( $(cat "$work/roll.acked") - $(cat "$work/roll.found") ))** | **$(( $(cat "$work/kill.acked") - $(cat "$work/kill.found") ))** |
| failed requests (quiz_load: an error or a status other than 303 for a form, or no quiz page) | $(get roll failed) | $(get kill failed) |
| requests nginx sent on to the other instance after the first failed | $(cat "$work/roll.retried") ($(cat "$work/roll.retried_post") POSTs) | $(cat "$work/kill.retried") ($(cat "$work/kill.retried_post") POSTs) |
| nginx's answers (status × requests) | $(cat "$work/roll.statuses") | $(cat "$work/kill.statuses") |

MD
  if [ "$backend" = postgres ]; then
    cat <<MD
**One instance on PostgreSQL vs on SQLite** (no nginx; a fresh database each): the quiz load as above
straight at the instance, then an instructor's class overview (first page) and question analysis
(\`…/topics/tcp\`) for a class made by \`demo-seed --learners $learners --attempts $learner_attempts\`,
median / slowest of 20 after 2 warm-ups, one at a time (as bench/instructor.sh).

| measure | PostgreSQL | SQLite | PostgreSQL ÷ SQLite |
|---|---|---|---|
| quiz submissions/s | $(get pg-quiz rps) | $(get lite-quiz rps) | $(ratio "$(get pg-quiz rps)" "$(get lite-quiz rps)")× |
| quiz p50 / p99 | $(get pg-quiz p50_ms) / $(get pg-quiz p99_ms) ms | $(get lite-quiz p50_ms) / $(get lite-quiz p99_ms) ms | |
| failed; stored / acknowledged | $(get pg-quiz failed); $(get pg-quiz stored) / $(get pg-quiz ok) | $(get lite-quiz failed); $(get lite-quiz stored) / $(get lite-quiz ok) | |
| class overview (median / slowest) | $(cut -d' ' -f1 "$work/pg.overview") / $(cut -d' ' -f2 "$work/pg.overview") ms | $(cut -d' ' -f1 "$work/lite.overview") / $(cut -d' ' -f2 "$work/lite.overview") ms | $(ratio "$(cut -d' ' -f1 "$work/pg.overview")" "$(cut -d' ' -f1 "$work/lite.overview")")× |
| question analysis (median / slowest) | $(cut -d' ' -f1 "$work/pg.analysis") / $(cut -d' ' -f2 "$work/pg.analysis") ms | $(cut -d' ' -f1 "$work/lite.analysis") / $(cut -d' ' -f2 "$work/lite.analysis") ms | $(ratio "$(cut -d' ' -f1 "$work/pg.analysis")" "$(cut -d' ' -f1 "$work/lite.analysis")")× |
| demo-seed of the class | $(awk '{ printf "%.1f", $1 / 1000 }' "$work/pg.seed_ms") s | $(awk '{ printf "%.1f", $1 / 1000 }' "$work/lite.seed_ms") s | |

MD
  else
    echo "(d) one instance on PostgreSQL vs on SQLite: not run (needs \`serve --db postgres://…\`)."
    echo
  fi
  cat <<MD
**Where the CPU went** during each measured run (cores used, from the processes' CPU time over the run
less its first 0.3 s and last second; "machine" is every process on it, other sessions' included, of 2):

| run | A | B | nginx | $([ "$backend" = postgres ] && echo PostgreSQL || echo "(no PostgreSQL)") | load generator | machine |
|---|---|---|---|---|---|---|
$(for n in anon-one anon-two signed-one signed-two quiz-one quiz-two; do cpu_row "$n"; done)

MD
  notes
} >"$bench_dir/results/issue-14-scaleout.md"
assemble_results
cat "$bench_dir/results/issue-14-scaleout.md"
lost=$(( $(cat "$work/roll.acked") - $(cat "$work/roll.found") + $(cat "$work/kill.acked") - $(cat "$work/kill.found") ))
[ "$checks_failed" = 0 ] && [ "$lost" = 0 ] || { echo "a check failed or an acknowledged attempt was lost" >&2; exit 1; }
