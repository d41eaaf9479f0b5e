#!/usr/bin/env bash
# Instructor views at scale: `infra-dojo demo-seed` makes one class of N learners (2,000 by default) with
# M attempts each (20) over the 16 topics — about 300,000 answers — then, logged in as demo-teacher over
# HTTP, this measures the class overview and a question analysis page (median of 20 requests each, after
# 2 warm-up requests), and the all-answers CSV export (rows per second over the whole download) while the
# server's RSS is sampled every 0.1 s.
# Targets (issue "instructor's progress view"): overview < 150 ms, question analysis < 100 ms,
# CSV ≥ 200,000 rows/s, RSS < 150 MB.
# Usage: bench/instructor.sh [learners, default 2000] [attempts each, default 20] [topic, default tcp]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
learners=${1:-2000}
attempts=${2:-20}
topic=${3:-tcp}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
db="$work/instructor.db"

seed_start=$(now_ms)
RUST_LOG=error ./target/release/infra-dojo demo-seed --db "$db" --learners "$learners" --attempts "$attempts" > "$work/seed.log"
seed_ms=$(( $(now_ms) - seed_start ))
class_path=$(grep -o '/instructor/classes/[0-9]*' "$work/seed.log" | head -n 1)
[ -n "$class_path" ] || { echo "demo-seed printed no class page:" >&2; cat "$work/seed.log" >&2; exit 1; }
seeded=$(head -n 1 "$work/seed.log")

port=$(free_port)
base="http://127.0.0.1:$port"
INFRA_DOJO_DB="$db" RUST_LOG=warn ./target/release/infra-dojo serve --bind "127.0.0.1:$port" &
server=$!
wait_ok "$base/healthz" "$(now_ms)" >/dev/null
rss_idle=$(rss_mb "$server")

# Log in as the demo instructor: the login form's CSRF token, then the form, with one cookie jar.
jar="$work/cookies"
csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
  --data-urlencode "csrf=$csrf" --data-urlencode "name=demo-teacher" --data-urlencode "password=demo-password" \
  --data-urlencode "next=/instructor" "$base/login")
[ "$status" = 303 ] || { echo "login failed: HTTP $status" >&2; exit 1; }

# Median (and slowest) of 20 timed GETs after 2 warm-ups, in ms; fails on anything but 200.
measure() {
  local url=$1 times="$work/times" code t
  : > "$times"
  for i in $(seq 1 22); do
    read -r code t < <(curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' "$url")
    [ "$code" = 200 ] || { echo "GET $url: HTTP $code" >&2; exit 1; }
    [ "$i" -gt 2 ] && echo "$t" >> "$times"
  done
  sort -n "$times" | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", (v[10] + v[11]) / 2, v[NR] }'
}
read -r overview_ms overview_max < <(measure "$base$class_path")
read -r analysis_ms analysis_max < <(measure "$base$class_path/topics/$topic")
analysis_kb=$(curl -s -b "$jar" "$base$class_path/topics/$topic" | wc -c | awk '{ printf "%.0f", $1 / 1024 }')

# The all-answers CSV, while sampling the server's RSS every 0.1 s.
rss_before=$(rss_mb "$server")
samples="$work/rss"
rss_mb "$server" > "$samples"; echo >> "$samples"
curl -s -b "$jar" -o "$work/answers.csv" -w '%{http_code} %{time_total} %{time_starttransfer}\n' \
  "$base$class_path/export/answers.csv" > "$work/curl.out" &
fetch=$!
while kill -0 "$fetch" 2>/dev/null; do
  rss_mb "$server" >> "$samples"; echo >> "$samples"
  sleep 0.1
done
wait "$fetch"
read -r csv_code csv_s csv_first_s < "$work/curl.out"
[ "$csv_code" = 200 ] || { echo "answers.csv: HTTP $csv_code" >&2; exit 1; }
rss_peak=$(sort -n "$samples" | tail -n 1)
sample_count=$(grep -c . "$samples")
# Records, not lines: a quoted field may hold a line break. The header row does not count.
rows=$(python3 -c 'import csv, sys; f = open(sys.argv[1], encoding="utf-8-sig", newline=""); print(sum(1 for _ in csv.reader(f)) - 1)' "$work/answers.csv")
csv_mb=$(awk -v b="$(wc -c < "$work/answers.csv")" 'BEGIN { printf "%.1f", b / 1048576 }')
rows_per_s=$(awk -v r="$rows" -v s="$csv_s" 'BEGIN { printf "%.0f", r / s }')
csv_ms=$(awk -v s="$csv_s" 'BEGIN { printf "%.0f", s * 1000 }')
first_ms=$(awk -v s="$csv_first_s" 'BEGIN { printf "%.1f", s * 1000 }')
grid_ms=$(curl -s -b "$jar" -o /dev/null -w '%{time_total}' "$base$class_path/export/grid.csv" | awk '{ printf "%.0f", $1 * 1000 }')
rss_after=$(rss_mb "$server")

verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }
command="bench/instructor.sh $learners $attempts $topic"
cat > "$bench_dir/results/instructor.md" <<MD
## Instructor views at scale (\`$command\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build. \`infra-dojo demo-seed --learners $learners
--attempts $attempts\` (${seed_ms} ms) printed: $seeded. Logged in as demo-teacher over HTTP (curl, cookie jar, CSRF
token from the login form); each page timed 20 times after 2 warm-ups, one request at a time; curl shares
the machine's cores with the server.

| measure | result | target | |
|---|---|---|---|
| class overview \`$class_path\` (median / slowest of 20) | ${overview_ms} ms / ${overview_max} ms | < 150 ms | $(verdict "$overview_ms < 150") |
| question analysis \`…/topics/$topic\` (median / slowest of 20, ${analysis_kb} KiB) | ${analysis_ms} ms / ${analysis_max} ms | < 100 ms | $(verdict "$analysis_ms < 100") |
| all-answers CSV: rows / whole download | ${rows} rows (${csv_mb} MiB) in ${csv_ms} ms, first byte ${first_ms} ms | | |
| all-answers CSV: rows per second | ${rows_per_s} | ≥ 200,000 | $(verdict "$rows_per_s >= 200000") |
| server RSS: idle / after the pages / peak during the CSV (${sample_count} samples) / after | ${rss_idle} / ${rss_before} / ${rss_peak} / ${rss_after} MB | peak < 150 MB | $(verdict "$rss_peak < 150") |
| learner × topic grid CSV | ${grid_ms} ms | | |
MD
assemble_results
cat "$bench_dir/results/instructor.md"
