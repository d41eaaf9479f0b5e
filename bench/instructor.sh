#!/usr/bin/env bash
# Instructor views at two class sizes in one run (issue 16): `infra-dojo demo-seed` makes one class of
# SMALL learners × SMALL_ATTEMPTS attempts, and one of LARGE × LARGE_ATTEMPTS, each in its own database.
# Logged in as demo-teacher over HTTP, this measures at each size the class overview's first page and a
# question analysis page (median of 20 requests each, after 2 warm-up requests, one at a time), then at
# the large size the all-answers CSV export (rows per second over the whole download) while the server's
# RSS is sampled every 0.1 s, and the grid CSV.
# Targets (issue 16): overview first page and analysis at LARGE ≤ 1.5× their time at SMALL; peak RSS during
# the LARGE CSV < 150 MB; demo-seed of LARGE < 60 s. (Earlier issue: overview < 150 ms, analysis < 100 ms,
# CSV ≥ 200,000 rows/s.)
# Usage: bench/instructor.sh [SMALL 1000] [SMALL_ATTEMPTS 20] [LARGE 10000] [LARGE_ATTEMPTS 50] [topic tcp]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
small=${1:-1000}
small_attempts=${2:-20}
large=${3:-10000}
large_attempts=${4:-50}
topic=${5:-tcp}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Median (and slowest) of 20 timed GETs after 2 warm-ups, in ms; fails on anything but 200.
measure() {
  local url=$1 times="$work/times" code t
  : > "$times"
  for i in $(seq 1 22); do
    read -r code t < <(curl -s -o /dev/null -b "$work/cookies" -w '%{http_code} %{time_total}\n' "$url")
    [ "$code" = 200 ] || { echo "GET $url: HTTP $code" >&2; exit 1; }
    [ "$i" -gt 2 ] && echo "$t" >> "$times"
  done
  sort -n "$times" | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", (v[10] + v[11]) / 2, v[NR] }'
}

# A class member's widget prediction (changes the class's widget sums only).
predict() {
  local base=$1 code
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$work/learner" -H 'Content-Type: application/json' \
    --data '{"scenario":"normal","seed":0,"step":1,"field":"ack","answer":"3141592654"}' "$base/api/widgets/handshake/check")
  [ "$code" = 200 ] || { echo "widget prediction: HTTP $code" >&2; exit 1; }
}

# A class member's reset of their progress in a topic (changes the members' figures, as a quiz attempt, a
# join or a leave does).
reset_topic() {
  local base=$1 csrf code
  csrf=$(curl -fs -b "$work/learner" "$base/me/topics/$topic/reset" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$work/learner" --data-urlencode "csrf=$csrf" "$base/me/topics/$topic/reset")
  [ "$code" = 303 ] || { echo "topic reset: HTTP $code" >&2; exit 1; }
}

# A class member's quiz attempt in the topic (changes the members' figures, and adds to the live window):
# the quiz page (the form is sealed per attempt), then the first choice of its first choice question, the
# rest left blank and graded as such.
quiz_attempt() {
  local base=$1 page csrf token choice name value code
  page=$(curl -fs -b "$work/learner" "$base/topics/$topic/quiz")
  csrf=$(grep -o 'name="csrf" value="[^"]*"' <<< "$page" | head -n 1 | sed 's/.*value="//; s/"$//')
  token=$(grep -o 'name="token" value="[^"]*"' <<< "$page" | head -n 1 | sed 's/.*value="//; s/"$//')
  choice=$(grep -o 'type="radio" name="a\.[^"]*" value="[^"]*"' <<< "$page" | head -n 1)
  [ -n "$choice" ] || { echo "quiz attempt: no choice question in $topic" >&2; exit 1; }
  name=$(sed 's/.*name="//; s/".*//' <<< "$choice")
  value=$(sed 's/.*value="//; s/"$//' <<< "$choice")
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$work/learner" --data-urlencode "csrf=$csrf" \
    --data-urlencode "token=$token" --data-urlencode "$name=$value" --data-urlencode "confirm_blank=1" \
    "$base/topics/$topic/quiz")
  [ "$code" = 303 ] || { echo "quiz attempt: HTTP $code" >&2; exit 1; }
}

# Median (and slowest) of 10 timed GETs, each right after a class member's change (CHANGE: predict,
# reset_topic or quiz_attempt).
measure_changed() {
  local url=$1 change=$2 times="$work/times" code t
  : > "$times"
  for _ in $(seq 1 10); do
    "$change" "${url%%/instructor/*}"
    read -r code t < <(curl -s -o /dev/null -b "$work/cookies" -w '%{http_code} %{time_total}\n' "$url")
    [ "$code" = 200 ] || { echo "GET $url: HTTP $code" >&2; exit 1; }
    echo "$t" >> "$times"
  done
  sort -n "$times" | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", (v[5] + v[6]) / 2, v[NR] }'
}

# size NAME LEARNERS ATTEMPTS [csv]: seeds, serves, logs in and measures; values go to $work/NAME.* files.
size() {
  local name=$1 learners=$2 attempts=$3 csv=${4:-} db="$work/$1.db"
  local start
  start=$(now_ms)
  RUST_LOG=error ./target/release/infra-dojo demo-seed --db "$db" --learners "$learners" --attempts "$attempts" > "$work/$name.seed"
  echo $(( $(now_ms) - start )) > "$work/$name.seed_ms"
  local class_path port base
  class_path=$(grep -o '/instructor/classes/[0-9]*' "$work/$name.seed" | head -n 1)
  [ -n "$class_path" ] || { echo "demo-seed printed no class page:" >&2; cat "$work/$name.seed" >&2; exit 1; }
  port=$(free_port)
  base="http://127.0.0.1:$port"
  INFRA_DOJO_DB="$db" RUST_LOG=warn ./target/release/infra-dojo serve --bind "127.0.0.1:$port" &
  server=$!
  wait_ok "$base/healthz" "$(now_ms)" >/dev/null
  rss_mb "$server" > "$work/$name.rss_idle"
  # Log in as the demo instructor: the login form's CSRF token, then the form, with one cookie jar.
  rm -f "$work/cookies"
  local csrf status
  csrf=$(curl -fs -c "$work/cookies" -b "$work/cookies" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/cookies" -b "$work/cookies" \
    --data-urlencode "csrf=$csrf" --data-urlencode "name=demo-teacher" --data-urlencode "password=demo-password" \
    --data-urlencode "next=/instructor" "$base/login")
  [ "$status" = 303 ] || { echo "login failed: HTTP $status" >&2; exit 1; }
  measure "$base$class_path" > "$work/$name.overview"
  measure "$base$class_path/topics/$topic" > "$work/$name.analysis"
  # The same pages right after the class changed (a member's widget prediction, as learners make them
  # during a class): the figures kept for the class (web::instructor::cache) are computed again.
  local learner width
  width=$(( ${#learners} > 2 ? ${#learners} : 2 ))
  learner=$(printf "demo-%0${width}d" 1)
  rm -f "$work/learner"
  csrf=$(curl -fs -c "$work/learner" -b "$work/learner" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/learner" -b "$work/learner" \
    --data-urlencode "csrf=$csrf" --data-urlencode "name=$learner" --data-urlencode "password=demo-password" \
    --data-urlencode "next=/me" "$base/login")
  [ "$status" = 303 ] || { echo "learner login failed: HTTP $status" >&2; exit 1; }
  measure_changed "$base$class_path" predict > "$work/$name.overview_changed"
  measure_changed "$base$class_path/topics/$topic" predict > "$work/$name.analysis_changed"
  measure_changed "$base$class_path" reset_topic > "$work/$name.overview_reset"
  measure_changed "$base$class_path" quiz_attempt > "$work/$name.overview_quiz"
  curl -s -b "$work/cookies" "$base$class_path" | wc -c > "$work/$name.overview_bytes"
  curl -s -b "$work/cookies" "$base$class_path/topics/$topic" | wc -c > "$work/$name.analysis_bytes"
  rss_mb "$server" > "$work/$name.rss_pages"
  if [ -n "$csv" ]; then
    # The all-answers CSV, streamed to a line count while the server's RSS is sampled every 0.1 s.
    local samples="$work/$name.rss_samples"
    rss_mb "$server" > "$samples"; echo >> "$samples"
    ( curl -s -b "$work/cookies" -w '%{stderr}%{http_code} %{time_total} %{time_starttransfer} %{size_download}\n' \
        "$base$class_path/export/answers.csv" 2> "$work/$name.curl" | wc -l > "$work/$name.csv_lines" ) &
    local fetch=$!
    while kill -0 "$fetch" 2>/dev/null; do
      rss_mb "$server" >> "$samples"; echo >> "$samples"
      sleep 0.1
    done
    wait "$fetch"
    curl -s -b "$work/cookies" -o /dev/null -w '%{time_total}\n' "$base$class_path/export/grid.csv" > "$work/$name.grid"
    rss_mb "$server" > "$work/$name.rss_after"
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
  rm -f "$db" "$db-wal" "$db-shm"
  echo "$name done: overview $(cat "$work/$name.overview") analysis $(cat "$work/$name.analysis") seed $(cat "$work/$name.seed_ms") ms"
}

size small "$small" "$small_attempts"
size large "$large" "$large_attempts" csv

col() { cut -d' ' -f"$2" < "$work/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }
o_small=$(col small.overview 1); o_large=$(col large.overview 1)
a_small=$(col small.analysis 1); a_large=$(col large.analysis 1)
o_ratio=$(ratio "$o_large" "$o_small"); a_ratio=$(ratio "$a_large" "$a_small")
oc_small=$(col small.overview_changed 1); oc_large=$(col large.overview_changed 1)
ac_small=$(col small.analysis_changed 1); ac_large=$(col large.analysis_changed 1)
or_small=$(col small.overview_reset 1); or_large=$(col large.overview_reset 1)
oc_ratio=$(ratio "$oc_large" "$oc_small"); ac_ratio=$(ratio "$ac_large" "$ac_small")
or_ratio=$(ratio "$or_large" "$or_small")
oq_small=$(col small.overview_quiz 1); oq_large=$(col large.overview_quiz 1)
oq_ratio=$(ratio "$oq_large" "$oq_small")
read -r csv_code csv_s csv_first_s csv_bytes < "$work/large.curl"
[ "$csv_code" = 200 ] || { echo "answers.csv: HTTP $csv_code" >&2; exit 1; }
csv_rows=$(( $(tr -d ' ' < "$work/large.csv_lines") - 1 ))
csv_mb=$(awk -v b="$csv_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
rows_per_s=$(awk -v r="$csv_rows" -v s="$csv_s" 'BEGIN { printf "%.0f", r / s }')
csv_ms=$(awk -v s="$csv_s" 'BEGIN { printf "%.0f", s * 1000 }')
first_ms=$(awk -v s="$csv_first_s" 'BEGIN { printf "%.1f", s * 1000 }')
rss_peak=$(sort -n "$work/large.rss_samples" | tail -n 1)
samples=$(grep -c . "$work/large.rss_samples")
grid_ms=$(awk '{ printf "%.0f", $1 * 1000 }' "$work/large.grid")
kib() { awk '{ printf "%.0f", $1 / 1024 }' "$work/$1"; }
seed_s() { awk '{ printf "%.1f", $1 / 1000 }' "$work/$1.seed_ms"; }

cat > "$bench_dir/results/instructor.md" <<MD
## Instructor views at two class sizes (\`bench/instructor.sh $small $small_attempts $large $large_attempts $topic\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build. Each size seeded by \`infra-dojo demo-seed\` into
a database of its own, then served and measured in turn. Logged in as demo-teacher over HTTP (curl,
cookie jar, CSRF token from the login form); each page timed 20 times after 2 warm-ups, one request at a
time, no compression asked for; curl shares the machine's cores with the server. The overview keeps its
"needs help" list and live counts per class until its members change (\`web::instructor::cache\`,
\`class_view::members_version\`): the first two rows are repeated views of an unchanged class, the next
two views right after a member of the class made a widget prediction (which changes the class's widget
sums, not what those two are computed from), the fifth views right after a member reset a topic (which,
like a quiz attempt, a join or a leave, changes the members and so computes "needs help" again), the
sixth right after a member's quiz attempt (one choice answered, the rest left blank), which also adds to
the live window (its attempts kept per class, only those stored since read: \`classroom::live_window\`).

demo-seed printed — $small: $(head -n 1 "$work/small.seed") ($(seed_s small) s by the clock);
$large: $(head -n 1 "$work/large.seed") ($(seed_s large) s by the clock).

| measure | $small learners × $small_attempts | $large learners × $large_attempts | ratio | target | |
|---|---|---|---|---|---|
| class overview, first page (median / slowest of 20) | ${o_small} / $(col small.overview 2) ms ($(kib small.overview_bytes) KiB) | ${o_large} / $(col large.overview 2) ms ($(kib large.overview_bytes) KiB) | ${o_ratio}× | ≤ 1.5× | $(verdict "$o_ratio <= 1.5") |
| question analysis \`…/topics/$topic\` (median / slowest of 20) | ${a_small} / $(col small.analysis 2) ms ($(kib small.analysis_bytes) KiB) | ${a_large} / $(col large.analysis 2) ms ($(kib large.analysis_bytes) KiB) | ${a_ratio}× | ≤ 1.5× | $(verdict "$a_ratio <= 1.5") |
| class overview, right after a member's widget prediction (median / slowest of 10) | ${oc_small} / $(col small.overview_changed 2) ms | ${oc_large} / $(col large.overview_changed 2) ms | ${oc_ratio}× | (≤ 1.5×) | $(verdict "$oc_ratio <= 1.5") |
| class overview, right after a member's topic reset (median / slowest of 10) | ${or_small} / $(col small.overview_reset 2) ms | ${or_large} / $(col large.overview_reset 2) ms | ${or_ratio}× | (≤ 1.5×) | $(verdict "$or_ratio <= 1.5") |
| class overview, right after a member's quiz attempt (median / slowest of 10) | ${oq_small} / $(col small.overview_quiz 2) ms | ${oq_large} / $(col large.overview_quiz 2) ms | ${oq_ratio}× | (≤ 1.5×) | $(verdict "$oq_ratio <= 1.5") |
| question analysis, right after a member's widget prediction (median / slowest of 10) | ${ac_small} / $(col small.analysis_changed 2) ms | ${ac_large} / $(col large.analysis_changed 2) ms | ${ac_ratio}× | (≤ 1.5×) | $(verdict "$ac_ratio <= 1.5") |
| demo-seed | $(seed_s small) s | $(seed_s large) s | | $large: < 60 s | $(verdict "$(cat "$work/large.seed_ms") < 60000") |
| server RSS: idle / after the pages | $(cat "$work/small.rss_idle") / $(cat "$work/small.rss_pages") MB | $(cat "$work/large.rss_idle") / $(cat "$work/large.rss_pages") MB | | | |

At $large learners: the all-answers CSV, $csv_rows rows ($csv_mb MiB) in $csv_ms ms, first byte $first_ms ms:
$rows_per_s rows/s ($(verdict "$rows_per_s >= 200000") ≥ 200,000). Server RSS during it, sampled $samples times:
peak $rss_peak MB ($(verdict "$rss_peak < 150") < 150 MB), $(cat "$work/large.rss_after") MB after. The learner × topic grid CSV: $grid_ms ms.
MD
assemble_results
cat "$bench_dir/results/instructor.md"
