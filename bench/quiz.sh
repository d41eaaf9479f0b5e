#!/usr/bin/env bash
# Quiz submission benchmark: N logged-in learners (64 by default), one connection each, submitting TCP
# quiz attempts for S seconds on loopback (examples/quiz_load.rs). Reports graded submissions per second,
# latency percentiles, errors, and checks that the attempts stored equal the successful responses.
# Target (issue "quizzes and progress"): ≥ 1,500 submissions/s, p99 < 50 ms, no error, counts equal.
# Then, for information, the same clients paced at a steady 1,500 submissions/s, latency counted from when
# each request was due (no coordinated omission): the latency a class sees below saturation.
# Usage: bench/quiz.sh [clients, default 64] [seconds, default 30]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
clients=${1:-64}
seconds=${2:-30}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo --example quiz_load
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(free_port)
INFRA_DOJO_DB="$work/quiz.db" RUST_LOG=warn ./target/release/infra-dojo serve --bind "127.0.0.1:$port" &
server=$!
wait_ok "http://127.0.0.1:$port/healthz" "$(now_ms)" >/dev/null

line=$(./target/release/examples/quiz_load "http://127.0.0.1:$port" "$work/quiz.db" "$clients" "$seconds" | tail -n 1)
echo "$line"
rss=$(rss_mb "$server")
get() { echo "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
rps=$(get rps); p99=$(get p99_ms); p50=$(get p50_ms); max=$(get max_ms); ok=$(get ok); failed=$(get failed)
stored=$(get stored)
paced=$(./target/release/examples/quiz_load "http://127.0.0.1:$port" "$work/quiz.db" "$clients" "$seconds" 1500 | tail -n 1)
echo "$paced"
pget() { echo "$paced" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

cat > "$bench_dir/results/quiz.md" <<MD
## Quiz submissions (\`bench/quiz.sh $clients $seconds\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release build; $clients learners signed up over HTTP, each
submitting the 10-question TCP quiz on its own keep-alive connection for ${seconds} s, each submission
graded and stored (attempt, answers, Leitner boxes) before its response. Each submission first fetches
its quiz page, as a learner must (the form is sealed per attempt); latencies are of the submission, the
page fetch is not counted in them. The load generator
(\`examples/quiz_load.rs\`) shares the machine's cores with the server.

| measure | result | target | |
|---|---|---|---|
| graded submissions/s | $rps | ≥ 1,500 | $(verdict "$rps >= 1500") |
| p50 / p99 / slowest | ${p50} ms / ${p99} ms / ${max} ms | p99 < 50 ms | $(verdict "$p99 < 50") |
| failed responses | $failed | 0 | $(verdict "$failed == 0") |
| attempts stored / successful responses (303 to the results) | $stored / $ok | equal | $(verdict "$stored == $ok") |
| server RSS after the run | ${rss} MB | | |

For information (no target): the same $clients learners paced at a steady 1,500 submissions/s for ${seconds} s,
latency counted from when each request was due: $(pget rps)/s achieved, p50 $(pget p50_ms) ms, p99
$(pget p99_ms) ms, slowest $(pget max_ms) ms, $(pget failed) failed, $(pget stored) stored of $(pget ok).
MD
assemble_results
cat "$bench_dir/results/quiz.md"
