#!/usr/bin/env bash
# Quiz submission benchmark: N logged-in learners (64 by default), one connection each, submitting TCP
# quiz attempts for S seconds on loopback (examples/quiz_load.rs). Reports graded submissions per second,
# latency percentiles, errors, and checks that the attempts stored equal the successful responses.
# Target (issue "quizzes and progress"): ≥ 1,500 submissions/s, p99 < 50 ms, no error, counts equal.
# Two runs per server build: learners studying alone, and learners who joined one class first (each attempt
# then also updates the class's aggregates, issue 16). With BASELINE (a release binary of an earlier
# commit), the same two runs against it first, each on a fresh database, and the ratios this/baseline (issue
# 16: ≥ 0.9). Then, for information, this build's self-study learners paced at a steady 1,500 submissions/s,
# latency counted from when each request was due (no coordinated omission).
# Usage: bench/quiz.sh [clients, default 64] [seconds, default 30] [BASELINE_BINARY [BASELINE_LABEL]]
# A baseline from an earlier commit, built apart from this tree (cargo embeds migrations/ at build time):
#   git archive f4346f6 | tar -x -C /tmp/base && (cd /tmp/base && CARGO_TARGET_DIR=/tmp/base-target \
#     cargo build --release --bin infra-dojo) && bench/quiz.sh 64 30 /tmp/base-target/release/infra-dojo f4346f6
set -euo pipefail
source "$(dirname "$0")/lib.sh"
clients=${1:-64}
seconds=${2:-30}
baseline=${3:-}
baseline_label=${4:-baseline}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo --example quiz_load
work=$(mktemp -d)
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
load=./target/release/examples/quiz_load

# run BINARY NAME MODE [RATE]: a fresh database and server; MODE "class" first makes a class (demo-seed
# with one learner) whose code every learner joins. Leaves quiz_load's summary line in $work/NAME.out and
# the server's RSS in $work/NAME.rss.
run() {
  local bin=$1 name=$2 mode=$3 rate=${4:-} db="$work/$2.db" code=
  if [ "$mode" = class ]; then
    code=$(RUST_LOG=error "$bin" demo-seed --db "$db" --learners 1 --attempts 1 | sed -n 's/.*参加コード: *\([A-Z0-9-]*\).*/\1/p' | head -n 1)
    [ -n "$code" ] || { echo "demo-seed printed no join code" >&2; exit 1; }
  fi
  local port
  port=$(free_port)
  INFRA_DOJO_DB="$db" RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" &
  server=$!
  wait_ok "http://127.0.0.1:$port/healthz" "$(now_ms)" >/dev/null
  QUIZ_LOAD_JOIN=$code "$load" "http://127.0.0.1:$port" "$db" "$clients" "$seconds" $rate | tail -n 1 > "$work/$name.out"
  rss_mb "$server" > "$work/$name.rss"
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
  echo "$name: $(cat "$work/$name.out")"
}
# get NAME KEY: a value of quiz_load's summary line.
get() { tr ' ' '\n' < "$work/$1.out" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

if [ -n "$baseline" ]; then
  run "$baseline" base-alone alone
  run "$baseline" base-class class
fi
run ./target/release/infra-dojo alone alone
run ./target/release/infra-dojo class class
run ./target/release/infra-dojo paced alone 1500

row() { # NAME LABEL
  echo "| $2 | $(get "$1" rps) | $(get "$1" p50_ms) ms / $(get "$1" p99_ms) ms / $(get "$1" max_ms) ms | $(get "$1" failed) | $(get "$1" stored) / $(get "$1" ok) | $(cat "$work/$1.rss") MB |"
}
ratio() { awk -v a="$(get "$1" rps)" -v b="$(get "$2" rps)" 'BEGIN { printf "%.2f", a / b }'; }

{
  cat <<MD
## Quiz submissions (\`bench/quiz.sh $clients $seconds${baseline:+ $baseline $baseline_label}\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release builds, each run on a fresh database and server; $clients
learners signed up over HTTP, each submitting the 10-question TCP quiz on its own keep-alive connection for
${seconds} s, each submission graded and stored (attempt, answers, Leitner boxes, aggregates) before its
response. Each submission first fetches its quiz page, as a learner must (the form is sealed per attempt);
latencies are of the submission, the page fetch is not counted in them. "In a class": the learners joined
one class first (a class made by \`demo-seed --learners 1\`), so every attempt also updates that class's
sums. The load generator (\`examples/quiz_load.rs\`) shares the machine's cores with the server.

| run | graded submissions/s | p50 / p99 / slowest | failed | stored / successful (303) | server RSS after |
|---|---|---|---|---|---|
MD
  if [ -n "$baseline" ]; then
    row base-alone "$baseline_label, alone"
    row base-class "$baseline_label, in a class"
  fi
  row alone "this build, alone"
  row class "this build, in a class"
  echo
  echo "| target | result | |"
  echo "|---|---|---|"
  echo "| ≥ 1,500 submissions/s (this build, alone) | $(get alone rps) | $(verdict "$(get alone rps) >= 1500") |"
  echo "| p99 < 50 ms (this build, alone) | $(get alone p99_ms) ms | $(verdict "$(get alone p99_ms) < 50") |"
  echo "| no failed response, stored = successful (every run) | | $(verdict "$(get alone failed) + $(get class failed) == 0 && $(get alone stored) == $(get alone ok) && $(get class stored) == $(get class ok)") |"
  if [ -n "$baseline" ]; then
    echo "| ≥ 0.9× $baseline_label's submissions/s, alone | $(ratio alone base-alone)× | $(verdict "$(ratio alone base-alone) >= 0.9") |"
    echo "| ≥ 0.9× $baseline_label's submissions/s, in a class | $(ratio class base-class)× | $(verdict "$(ratio class base-class) >= 0.9") |"
  fi
  echo
  echo "For information (no target): this build's learners alone, paced at a steady 1,500 submissions/s for ${seconds} s,"
  echo "latency counted from when each request was due: $(get paced rps)/s achieved, p50 $(get paced p50_ms) ms, p99"
  echo "$(get paced p99_ms) ms, slowest $(get paced max_ms) ms, $(get paced failed) failed, $(get paced stored) stored of $(get paced ok)."
} > "$bench_dir/results/quiz.md"
assemble_results
cat "$bench_dir/results/quiz.md"
