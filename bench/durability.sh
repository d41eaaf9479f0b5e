#!/usr/bin/env bash
# Durability and abuse, on loopback, bounded in count and time (a few minutes):
# (a) kill -9 the server under quiz load (examples/quiz_load.rs, QUIZ_LOAD_ACKS), K times, restarting it
#     with --db-must-exist each time: every attempt acknowledged with a 303 must be in the database, no
#     attempt may be partly stored, and PRAGMA integrity_check must say ok;
# (b) slowloris (bench/slowloris.py): N sockets sending a header line every 3 s, from one address, from 60
#     addresses, and from 60 addresses against a server limited to 1,024 open files; /healthz is asked
#     every 0.5 s throughout and the server's open descriptors counted.
# Writes bench/results/durability.md and reassembles bench/RESULTS.md.
# Usage: bench/durability.sh [kills, default 3, at most 10] [slow sockets, default 3000, at most 10000]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kills=${1:-3}
sockets=${2:-3000}
[[ $kills =~ ^[0-9]+$ && $kills -ge 1 && $kills -le 10 ]] || { echo "kills: 1 to 10" >&2; exit 2; }
[[ $sockets =~ ^[0-9]+$ && $sockets -ge 1 && $sockets -le 10000 ]] || { echo "sockets: 1 to 10000" >&2; exit 2; }
command -v sqlite3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo --example quiz_load
bin=./target/release/infra-dojo
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
db="$work/durability.db"
port=$(free_port)
base="http://127.0.0.1:$port"

# Starts the server with extra flags after a shell prefix (such as a ulimit), logging to $log; sets
# $server, and $started_ms to the milliseconds until /healthz answered.
log="$work/server.log"
start_server() {
  local prefix=$1; shift
  local t0; t0=$(now_ms)
  RUST_LOG=${RUST_LOG:-info,sqlx=warn,tower_http=warn,infra_dojo::web=warn} \
    bash -c "$prefix exec \"\$@\"" _ "$bin" serve --bind "127.0.0.1:$port" --db "$db" "$@" \
    >>"$log" 2>&1 &
  server=$!
  pids+=("$server")
  started_ms=$(wait_ok "$base/healthz" "$t0")
}

sql() { sqlite3 -batch -noheader "$db" "$@"; }

# ---------------------------------------------------------------------------------------------------
# (a) kill -9 under quiz load
echo "== (a) kill -9 under quiz load, $kills times"
start_server ""
rows_a=""
total_acked=0; total_lost=0; total_partial=0; integrity_all=ok; rounds_without_acks=0
for round in $(seq 1 "$kills"); do
  before=$(sql "select count(*) from attempt")
  acks="$work/acks.$round"
  : >"$acks"
  QUIZ_LOAD_ACKS="$acks" ./target/release/examples/quiz_load "$base" "$db" 16 30 \
    >"$work/load.$round" 2>&1 &
  load=$!
  pids+=("$load")
  # Until submissions are flowing (sign-up comes first), at most 60 s; then a random 1–3 s more.
  for _ in $(seq 1 600); do
    [ "$(wc -l <"$acks")" -ge 200 ] && break
    kill -0 "$load" 2>/dev/null || break
    sleep 0.1
  done
  sleep $(( 1 + RANDOM % 3 ))
  kill -9 "$server"
  wait "$server" 2>/dev/null || true
  sleep 0.3
  kill -9 "$load" 2>/dev/null || true
  wait "$load" 2>/dev/null || true
  acked=$(wc -l <"$acks")
  start_server "" --db-must-exist
  restart_ms=$started_ms
  if [ "$acked" -eq 0 ]; then
    rounds_without_acks=$((rounds_without_acks + 1))
    echo "round $round: quiz_load acknowledged nothing:"; tail -n 3 "$work/load.$round"
  fi
  # Every acknowledged id must be stored; no attempt may lack answers it counted.
  awk '/^[0-9]+$/ { print "insert or ignore into acked values (" $1 ");" }' "$acks" >"$work/acks.$round.sql"
  result=$(sql <<SQL
create temp table acked (id integer primary key);
.read $work/acks.$round.sql
select count(*) from acked where id not in (select attempt_id from attempt);
select count(*) from attempt;
select count(*) from attempt a
  where question_count != (select count(*) from answer n where n.attempt_id = a.attempt_id);
SQL
)
  lost=$(echo "$result" | sed -n 1p)
  after=$(echo "$result" | sed -n 2p)
  partial=$(echo "$result" | sed -n 3p)
  integrity=$(sql "pragma integrity_check" | tr '\n' ' ' | sed 's/ $//')
  fk=$(sql "pragma foreign_key_check" | wc -l)
  [ "$integrity" = ok ] && [ "$fk" -eq 0 ] || integrity_all="**not ok**"
  stored=$((after - before))
  total_acked=$((total_acked + acked)); total_lost=$((total_lost + lost)); total_partial=$((total_partial + partial))
  echo "round $round: acknowledged $acked, stored $stored, acknowledged but missing $lost, partial $partial, integrity $integrity, fk violations $fk, restart ${restart_ms} ms"
  rows_a+="| $round | $acked | $stored | $lost | $partial | $integrity, $fk FK violations | ${restart_ms} ms |"$'\n'
done
# A graceful stop at the end: SIGTERM, and the time until the process is gone.
t0=$(now_ms)
kill -TERM "$server"
wait "$server" 2>/dev/null || true
sigterm_ms=$(( $(now_ms) - t0 ))
final_integrity=$(sql "pragma integrity_check" | tr '\n' ' ' | sed 's/ $//')
wal_after=$( [ -e "$db-wal" ] && stat -c %s "$db-wal" || echo 0 )
echo "SIGTERM exit ${sigterm_ms} ms, integrity $final_integrity, WAL left ${wal_after} bytes"

# ---------------------------------------------------------------------------------------------------
# (b) slowloris
echo "== (b) slowloris, $sockets sockets"
rows_b=""
slowloris() {
  local label=$1 prefix=$2 sources=$3
  log="$work/server-$sources-${prefix:+limited}.log"
  start_server "$prefix" --db-must-exist
  local limits; limits=$(awk '/Max open files/ { print $4 }' "/proc/$server/limits")
  local line
  line=$(timeout 120 python3 bench/slowloris.py --target "127.0.0.1:$port" --sockets "$sockets" \
    --sources "$sources" --interval 3 --duration 25 --pid "$server")
  echo "$label (open-file limit $limits): $line"
  get() { echo "$line" | head -n 1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
  local refused_log
  refused_log=$(grep -c "connections refused" "$log" || true)
  rows_b+="| $label | $limits | $(get closed_within_1s) | $(get closed_later) (after $(get later_min_s)–$(get later_max_s) s, median $(get later_median_s) s) | $(get still_open_at_end) | $(get healthz_ok) ok / $(get healthz_failed) failed, slowest $(get healthz_max_ms) ms | $(get fd_before) → max $(get fd_max) → $(get fd_after) |"$'\n'
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  echo "  log lines about refused connections (at most one a second): $refused_log"
}
slowloris "one address" "" 1
slowloris "60 addresses" "" 60
slowloris "60 addresses, ulimit -n 1024" "ulimit -n 1024;" 60

cat > "$bench_dir/results/durability.md" <<MD
## Durability and slow clients (\`bench/durability.sh $kills $sockets\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build, loopback only.

**kill -9 under quiz load.** 16 learners submitting the TCP quiz (\`examples/quiz_load.rs\` with
\`QUIZ_LOAD_ACKS\`, which records the attempt id of every 303) until the server is killed with SIGKILL
1–3 s into the submissions; then the server is restarted with \`--db-must-exist\` on the same file and the
database checked with \`sqlite3\`. "Stored" counts the attempts the round added: it may exceed the
acknowledged ones by attempts committed whose response never left. "Partial": attempts whose answer rows
do not match their question count.

| round | acknowledged (303) | stored | acknowledged but missing | partial | integrity_check, foreign_key_check | restart to first 200 |
|---|---|---|---|---|---|---|
${rows_a}
In all: $total_acked acknowledged, $total_lost missing, $total_partial partial; integrity $integrity_all.$( [ "$rounds_without_acks" -gt 0 ] && echo " $rounds_without_acks round(s) had no acknowledged submission (quiz_load could not submit): those rounds prove nothing." )
A final SIGTERM stopped the server in ${sigterm_ms} ms (integrity_check: $final_integrity; WAL left: ${wal_after} bytes).

**Slowloris.** $sockets sockets, each sending \`GET / HTTP/1.1\` and then one header line every 3 s, for at
most 25 s; default limits (header deadline 10 s, 256 connections per client address, total cap from the
open-file limit: 4,096 at most, the limit less 256 below that). /healthz asked from 127.0.0.1 on a new
connection every 0.5 s; the server's open descriptors counted from \`/proc/PID/fd\` at the same moments.
At the total cap a newcomer takes the place of a connection idle for 1 s or more; in the first second of a
burst every connection is younger than that, so newcomers (a probe among them) are refused until then.

| attack | server open-file limit | closed within 1 s (over a cap) | closed after 1 s or more (header deadline; at the total cap, evicted once idle 1 s) | open at the end | /healthz during the attack | server descriptors: before → max → after |
|---|---|---|---|---|---|---|
${rows_b}
MD
assemble_results
cat "$bench_dir/results/durability.md"
