#!/usr/bin/env bash
# Page-serving benchmark (issue 16): wrk against infra-dojo and against a tuned nginx serving the very bytes
# infra-dojo sends, in the same run, 64 connections each, for requests as wrk sends them (no
# Accept-Encoding) and as browsers do: an anonymous topic page and a static stylesheet, each without
# compression, with gzip (the same .gz bytes for nginx's gzip_static) and with a browser's header (nginx
# still sends its .gz; infra-dojo brotli); then pages made per request for a signed-in learner (the topic
# page and /me), infra-dojo alone. Also the server's RSS after the load and what it consists of, and the
# time from starting the binary to its first 200 from /healthz.
# Targets: anonymous page and static file ≥ 0.9× nginx without compression and ≥ 0.8× with it, p99 < 5 ms;
# signed-in pages p99 < 10 ms; RSS < 50 MB; healthz < 300 ms.
# Usage: bench/pages.sh [seconds per run, default 15]. Needs wrk and nginx (installed if missing).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
duration=${1:-15}

for pkg in wrk nginx; do
  command -v "$pkg" >/dev/null 2>&1 || command -v "/usr/sbin/$pkg" >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  }
done

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo
work=$(mktemp -d)
# nginx's workers run as an unprivileged user when started by root: they must be able to read the files.
chmod 755 "$work"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Start-up: from exec to the first 200 on /healthz, with a fresh database (migrations included).
port=$(free_port)
base="http://127.0.0.1:$port"
start=$(now_ms)
NO_COLOR=1 INFRA_DOJO_DB="$work/bench.db" RUST_LOG=warn,infra_dojo=info ./target/release/infra-dojo serve --bind "127.0.0.1:$port" > "$work/dojo.log" 2>&1 &
dojo=$!
pids+=("$dojo")
startup_ms=$(wait_ok "$base/healthz" "$start")

# nginx serving the very bytes infra-dojo sends: the page and the stylesheet, plain and gzip.
mkdir -p "$work/www"
curl -fs "$base/topics/tcp" -o "$work/www/tcp.html"
curl -fs -H 'Accept-Encoding: gzip' "$base/topics/tcp" -o "$work/www/tcp.html.gz"
css_path=$(grep -o '/static/[0-9a-f]*/css/app.css' "$work/www/tcp.html" | head -n 1)
curl -fs "$base$css_path" -o "$work/www/app.css"
curl -fs -H 'Accept-Encoding: gzip' "$base$css_path" -o "$work/www/app.css.gz"
chmod 644 "$work/www/"*
page_bytes=$(wc -c < "$work/www/tcp.html"); page_gz=$(wc -c < "$work/www/tcp.html.gz")
page_br=$(curl -fs -H 'Accept-Encoding: br' "$base/topics/tcp" | wc -c)
css_bytes=$(wc -c < "$work/www/app.css"); css_gz=$(wc -c < "$work/www/app.css.gz")
nginx_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  gzip_static on;
  types { text/html html; text/css css; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
pids+=("$!")
wait_ok "http://127.0.0.1:$nginx_port/tcp.html" "$(now_ms)" >/dev/null

# smaps_breakdown PID: the RSS by kind of mapping — the executable's own pages (code, embedded content and
# static files), other files (shared libraries), the heap and other anonymous memory, thread stacks.
smaps_breakdown() {
python3 - "$1" <<'PY'
import re, sys
pid = sys.argv[1]
exe = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].decode()
kinds = {}
name = None
for line in open(f"/proc/{pid}/smaps"):
    head = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
    if head:
        path = head.group(1).strip()
        if path.endswith(exe.split("/")[-1]) and path.startswith("/"):
            name = "the executable (code, embedded notes and static files)"
        elif path.startswith("/"):
            name = "other files (shared libraries, the database's shared memory)"
        elif path == "[heap]":
            name = "heap (brk)"
        elif path.startswith("[stack"):
            name = "main thread stack"
        elif path == "":
            name = "anonymous mappings (mimalloc segments, thread stacks)"
        else:
            name = path
        continue
    if line.startswith("Rss:"):
        kinds[name] = kinds.get(name, 0) + int(line.split()[1])
for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]):
    if v >= 64:
        print(f"{k}: {v / 1024:.1f} MB")
PY
}

browser='gzip, deflate, br, zstd'
# bench NAME URL [HEADER...]: 2 s of warm-up, then the measured run into $work/NAME.txt.
bench() {
  local name=$1 url=$2; shift 2
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  wrk -t2 -c64 -d2s "${args[@]}" "$url" >/dev/null
  wrk -t2 -c64 -d"${duration}s" --latency "${args[@]}" "$url" > "$work/$name.txt"
}
ngx="http://127.0.0.1:$nginx_port"
bench ngx-page "$ngx/tcp.html"
bench dojo-page "$base/topics/tcp"
bench ngx-page-gz "$ngx/tcp.html" "Accept-Encoding: gzip"
bench dojo-page-gz "$base/topics/tcp" "Accept-Encoding: gzip"
bench ngx-page-br "$ngx/tcp.html" "Accept-Encoding: $browser"
bench dojo-page-br "$base/topics/tcp" "Accept-Encoding: $browser"
bench ngx-css "$ngx/app.css"
bench dojo-css "$base$css_path"
bench ngx-css-gz "$ngx/app.css" "Accept-Encoding: gzip"
bench dojo-css-gz "$base$css_path" "Accept-Encoding: gzip"
# The RSS after the anonymous runs (what earlier runs of this script measured), and what it consists of.
rss_anon=$(rss_mb "$dojo")
smaps_breakdown "$dojo" > "$work/memory"
# A signed-in learner: the sign-up form's CSRF token, then the form, with one cookie jar.
jar="$work/cookies"
csrf=$(curl -fs -c "$jar" -b "$jar" "$base/signup" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
  --data-urlencode "name=bench-reader" --data-urlencode "display_name=bench-reader" \
  --data-urlencode "password=bench-password-123" --data-urlencode "next=/" "$base/signup")
[ "$status" = 303 ] || { echo "sign-up failed: HTTP $status" >&2; exit 1; }
cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }')
me=$(curl -fs -H "Cookie: $cookie" "$base/me")
case "$me" in *bench-reader*) ;; *) echo "not signed in" >&2; exit 1 ;; esac

bench dojo-signed "$base/topics/tcp" "Accept-Encoding: $browser" "Cookie: $cookie"
bench dojo-me "$base/me" "Accept-Encoding: $browser" "Cookie: $cookie"
rss=$(rss_mb "$dojo")
threads=$(ls "/proc/$dojo/task" | wc -l)
compressed=$(sed 's/\x1b\[[0-9;]*m//g' "$work/dojo.log" | grep 'anonymous pages compressed' | head -n 1)
pages_bytes=$(echo "$compressed" | grep -o 'bytes=[0-9]*' | cut -d= -f2)
pages_ms=$(echo "$compressed" | grep -o 'duration_ms=[0-9]*' | cut -d= -f2)

rps() { awk '/Requests\/sec/ {print $2}' "$work/$1.txt"; }
p99() {
  awk '/ 99%/ { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v*=1000 } printf "%.2f", v }' "$work/$1.txt"
}
errors() { local e; e=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$1.txt" | tr '\n' ' '); echo "${e:-none}"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }
ratio() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN { printf "%.2f", a / b }'; }
row() { # LABEL DOJO NGINX MIN_RATIO
  local r
  r=$(ratio "$2" "$3")
  echo "| $1 | $(rps "$2") | $(rps "$3") | ${r}× ($(verdict "$r >= $4") ≥ $4) | $(p99 "$2") ms ($(verdict "$(p99 "$2") < 5") < 5) | $(p99 "$3") ms |"
}

{
  cat <<MD
## Pages (\`bench/pages.sh $duration\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build. \`wrk -t2 -c64 -d${duration}s --latency\` (after
2 s of warm-up) against infra-dojo and nginx in turn, both on loopback, sharing the machine's cores with
wrk. nginx serves the very bytes infra-dojo sends, from files, tuned: \`worker_processes auto\`,
\`sendfile on\`, \`tcp_nopush on\`, \`open_file_cache\`, \`keepalive_requests 1000000\`, \`gzip_static on\`
(its .gz files are infra-dojo's gzip bytes). \`/topics/tcp\` for a reader not signed in: $page_bytes bytes, gzip
$page_gz, brotli $page_br; \`app.css\`: $css_bytes bytes, gzip $css_gz. "Browser" is \`Accept-Encoding: $browser\`:
infra-dojo answers brotli, nginx its .gz.

| request | infra-dojo requests/s | nginx requests/s | ratio (target) | infra-dojo p99 (target) | nginx p99 |
|---|---|---|---|---|---|
$(row "topic page, no Accept-Encoding" dojo-page ngx-page 0.9)
$(row "topic page, gzip" dojo-page-gz ngx-page-gz 0.8)
$(row "topic page, browser" dojo-page-br ngx-page-br 0.8)
$(row "app.css, no Accept-Encoding" dojo-css ngx-css 0.9)
$(row "app.css, gzip" dojo-css-gz ngx-css-gz 0.8)

Pages made per request for a signed-in learner (session looked up in SQLite, page rendered, compressed
with gzip at its fastest level), infra-dojo alone, after the runs above:

| request | requests/s | p99 | target |
|---|---|---|---|
| \`/topics/tcp\` signed in, browser | $(rps dojo-signed) | $(p99 dojo-signed) ms | $(verdict "$(p99 dojo-signed) < 10") < 10 ms |
| \`/me\` signed in, browser | $(rps dojo-me) | $(p99 dojo-me) ms | $(verdict "$(p99 dojo-me) < 10") < 10 ms |

| measure | result | target | |
|---|---|---|---|
| RSS after the anonymous and static runs | ${rss_anon} MB | < 50 MB | $(verdict "$rss_anon < 50") |
| RSS after the signed-in runs too | ${rss} MB | | |
| exec → first 200 from /healthz | ${startup_ms} ms | < 300 ms | $(verdict "$startup_ms < 300") |
| anonymous pages (16 topics and home × 3 themes × identity, gzip, brotli), compressed after start on a thread of their own | ${pages_bytes:-?} bytes in ${pages_ms:-?} ms | | |

Errors reported by wrk: $(for n in dojo-page dojo-page-gz dojo-page-br dojo-css dojo-css-gz dojo-signed dojo-me ngx-page ngx-page-gz ngx-page-br ngx-css ngx-css-gz; do printf '%s %s; ' "$n" "$(errors "$n")"; done)

The RSS after the anonymous and static runs, by kind of mapping (\`/proc/PID/smaps\`; $threads threads at the
end; see "Memory" below for what it consists of):

$(sed 's/^/- /' "$work/memory")
MD
} > "$bench_dir/results/pages.md"
assemble_results
cat "$bench_dir/results/pages.md"
