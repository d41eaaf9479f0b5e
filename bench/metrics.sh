#!/usr/bin/env bash
# What `--metrics-bind` costs (issue 14): the same release binary with and without it, in alternating
# rounds, wrk -t2 -c64 against the fast path (an anonymous topic page and app.css, as a browser asks for
# them) and one request through the router and its layers (/healthz, which also reads the database). With
# metrics on, one scrape of /metrics after the rounds checks the counts and says how long a scrape takes.
# Usage: bench/metrics.sh [seconds per run, default 10] [rounds, default 3].
# BASELINE=path/to/other/binary adds a third variant (say, a build of main without metrics at all).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo
bin=./target/release/infra-dojo
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

browser='gzip, deflate, br, zstd'
variants=(off on)
[ -n "${BASELINE:-}" ] && variants+=(baseline)

# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# measure NAME WRK_ARGS...: one wrk run into $work/NAME.txt, and the server's CPU microseconds per request
# into $work/NAME.cpu — steadier than requests/s on a machine shared with other work, since it does not
# count the time the server waited for a core.
measure() {
  local name=$1 before after requests; shift
  before=$(cpu_ticks)
  wrk -t2 -c64 -d"${duration}s" --latency "$@" > "$work/$name.txt"
  after=$(cpu_ticks)
  requests=$(awk '/requests in/ {print $1}' "$work/$name.txt")
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }' > "$work/$name.cpu"
}

# run VARIANT ROUND: start the server fresh, warm up, measure the three requests.
run() {
  local variant=$1 round=$2 port mport args=() exe=$bin
  port=$(free_port)
  case $variant in
    on) mport=$(free_port); args=(--metrics-bind "127.0.0.1:$mport") ;;
    baseline) exe=$BASELINE ;;
  esac
  INFRA_DOJO_DB="$work/$variant.db" RUST_LOG=warn "$exe" serve --bind "127.0.0.1:$port" "${args[@]}" > "$work/$variant.log" 2>&1 &
  pid=$!
  wait_ok "http://127.0.0.1:$port/healthz" "$(now_ms)" >/dev/null
  local base="http://127.0.0.1:$port" css
  css=$(curl -fs "$base/topics/tcp" | grep -o '/static/[0-9a-f]*/css/app.css' | head -n 1)
  # The pages are compressed on a thread after start: wait for it, then warm up.
  sleep 3
  wrk -t2 -c64 -d2s -H "Accept-Encoding: $browser" "$base/topics/tcp" >/dev/null
  measure "$variant-page-$round" -H "Accept-Encoding: $browser" "$base/topics/tcp"
  measure "$variant-css-$round" -H "Accept-Encoding: $browser" "$base$css"
  measure "$variant-healthz-$round" "$base/healthz"
  if [ "$variant" = on ]; then
    local started
    started=$(now_ms)
    curl -fs "http://127.0.0.1:$mport/metrics" > "$work/scrape.txt"
    scrape_ms=$(( $(now_ms) - started ))
    scrape_bytes=$(wc -c < "$work/scrape.txt")
    page_count=$(awk '/^http_requests_total\{method="GET",route="\/topics\/\{slug\}",status="200"\}/ {print $2}' "$work/scrape.txt")
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

for round in $(seq 1 "$rounds"); do
  for variant in "${variants[@]}"; do run "$variant" "$round"; done
done

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() {
  awk '/ 99%/ { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v*=1000 } printf "%.2f", v }' "$1"
}
# cell VARIANT REQUEST: every round's requests/s, and their median; the median p99.
cell() {
  local all med p
  all=$(for r in $(seq 1 "$rounds"); do rps "$work/$1-$2-$r.txt"; done | sort -n | tr '\n' ' ')
  med=$(echo "$all" | tr ' ' '\n' | grep . | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  p=$(for r in $(seq 1 "$rounds"); do p99 "$work/$1-$2-$r.txt"; echo; done | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local cpu
  cpu=$(for r in $(seq 1 "$rounds"); do cat "$work/$1-$2-$r.cpu"; echo; done | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "**$med** ($all) / p99 $p ms / **$cpu µs** CPU"
}
label() { case $1 in off) echo "without --metrics-bind" ;; on) echo "with --metrics-bind" ;; baseline) echo "baseline (\`$BASELINE\`)" ;; esac; }

{
  cat <<MD
## Metrics cost (\`bench/metrics.sh $duration $rounds\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build, one process per run, the variants alternating
for $rounds rounds: \`wrk -t2 -c64 -d${duration}s --latency\` after 2 s of warm-up, wrk on the same cores. Each
cell: the median requests/s (every round's, sorted) / the median p99 / the median of the server's CPU time
(user + system, \`/proc/PID/stat\`) per request — the cost that does not depend on what else the machine
was doing. Topic page and app.css carry a
browser's \`Accept-Encoding\` (the fast path answers them); \`/healthz\` goes through the router, its layers
and one database read.

| variant | \`/topics/tcp\` (fast path) | app.css (fast path) | \`/healthz\` (router) |
|---|---|---|---|
MD
  for v in "${variants[@]}"; do
    echo "| $(label "$v") | $(cell "$v" page) | $(cell "$v" css) | $(cell "$v" healthz) |"
  done
  cat <<MD

After the last round with metrics on, one scrape of \`/metrics\` took ${scrape_ms} ms (curl, start to end) for
${scrape_bytes} bytes, and counted ${page_count} answers of \`GET /topics/{slug}\` 200 in that run.
MD
} > "$bench_dir/results/metrics.md"
assemble_results
cat "$bench_dir/results/metrics.md"
