#!/usr/bin/env bash
# Page-serving benchmark: wrk against infra-dojo's /topics/tcp and against nginx serving the same HTML
# bytes from a file, in the same run, 64 connections each. Also the server's RSS after the load and the
# time from starting the binary to its first 200 from /healthz.
# Targets (issue "reading platform"): ≥ 0.6× nginx's requests/s, p99 < 10 ms, RSS < 50 MB, healthz < 300 ms.
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
cargo build --release --quiet
work=$(mktemp -d)
# nginx's workers run as an unprivileged user when started by root: they must be able to read the page.
chmod 755 "$work"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Start-up: from exec to the first 200 on /healthz, with a fresh database (migrations included).
port=$(free_port)
start=$(now_ms)
INFRA_DOJO_DB="$work/bench.db" RUST_LOG=warn ./target/release/infra-dojo serve --bind "127.0.0.1:$port" &
dojo=$!
pids+=("$dojo")
startup_ms=$(wait_ok "http://127.0.0.1:$port/healthz" "$start")

# nginx serving the very bytes infra-dojo sends for the page.
mkdir -p "$work/www"
curl -fs "http://127.0.0.1:$port/topics/tcp" -o "$work/www/tcp.html"
bytes=$(wc -c < "$work/www/tcp.html")
nginx_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { default_type text/html; }
  }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
pids+=("$!")
wait_ok "http://127.0.0.1:$nginx_port/tcp.html" "$(now_ms)" >/dev/null

run_wrk() { wrk -t2 -c64 -d"${duration}s" --latency "$1" > "$2"; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99_ms() {
  awk '/ 99%/ { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v*=1000 } printf "%.2f", v }' "$1"
}
errors() { local e; e=$(awk '/Non-2xx|Socket errors/ {print}' "$1" | tr '\n' ' '); echo "${e:-none}"; }

# Warm both, then measure each in turn.
wrk -t2 -c64 -d2s "http://127.0.0.1:$port/topics/tcp" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:$nginx_port/tcp.html" >/dev/null
run_wrk "http://127.0.0.1:$nginx_port/tcp.html" "$work/nginx.txt"
run_wrk "http://127.0.0.1:$port/topics/tcp" "$work/dojo.txt"
rss=$(rss_mb "$dojo")

dojo_rps=$(rps "$work/dojo.txt"); nginx_rps=$(rps "$work/nginx.txt")
ratio=$(awk -v a="$dojo_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')
dojo_p99=$(p99_ms "$work/dojo.txt"); nginx_p99=$(p99_ms "$work/nginx.txt")
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

cat > "$bench_dir/results/pages.md" <<MD
## Pages (\`bench/pages.sh $duration\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). \`wrk -t2 -c64 -d${duration}s --latency\`, release build,
\`/topics/tcp\` ($bytes bytes, uncompressed: wrk sends no Accept-Encoding) against nginx serving the same bytes
from a file (\`worker_processes auto\`), both on loopback, one after the other in the same run.

| measure | infra-dojo | nginx | target | result |
|---|---|---|---|---|
| requests/s | $dojo_rps | $nginx_rps | ≥ 0.6× nginx | ${ratio}× — $(verdict "$ratio >= 0.6") |
| p99 latency | ${dojo_p99} ms | ${nginx_p99} ms | < 10 ms | $(verdict "$dojo_p99 < 10") |
| RSS after the run | ${rss} MB | | < 50 MB | $(verdict "$rss < 50") |
| exec → first 200 from /healthz | ${startup_ms} ms | | < 300 ms | $(verdict "$startup_ms < 300") |

Errors reported by wrk — infra-dojo: $(errors "$work/dojo.txt"); nginx: $(errors "$work/nginx.txt").
MD
assemble_results
cat "$bench_dir/results/pages.md"
