#!/usr/bin/env bash
# Accounts under attack (issue 9), on loopback only: a release server on a temporary database, attacked by
# examples/auth_abuse.rs, whose virtual clients send from their own 127.x.y.z addresses where a scenario
# needs many machines.
#  (a) throttle race: 40 wrong passwords for one name at once from one address, then the right one; and a
#      burst of 100 from another address with the right password sent last. Counts 401 (a password was
#      checked) against 429 (refused before checking), and whether any burst ended signed in (303).
#  (b) hashing flood: 100 learners logging in at once (each from its own address), 100 sign-ups at once
#      (each from its own address), 40 sign-ups at once from one address; then, on this commit only, 600
#      logins at once (500 of them unknown names, which cost a dummy hash all the same), more than the
#      hashing queue clears in its 3 s. Peak RSS of the server (VmHWM) after each.
# With BASELINE (a release binary of an earlier commit), the same runs against it first, on its own database
# (not the 600: with no bound on hashing, that would hold ~11 GiB at once on a shared machine).
# Usage: bench/auth-abuse.sh [BASELINE_BINARY [BASELINE_LABEL]]
# A baseline from an earlier commit, built apart from this tree (cargo embeds migrations/ at build time):
#   git archive 7d814d5 | tar -x -C /tmp/base && (cd /tmp/base && CARGO_TARGET_DIR=/tmp/base-target \
#     cargo build --release --bin infra-dojo) && bench/auth-abuse.sh /tmp/base-target/release/infra-dojo 7d814d5
set -euo pipefail
source "$(dirname "$0")/lib.sh"
baseline=${1:-}
baseline_label=${2:-baseline}

cd "$repo_dir"
cargo build --release --quiet --bin infra-dojo --example auth_abuse
work=$(mktemp -d)
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
password="victim-password-123"
abuse=./target/release/examples/auth_abuse

# Peak resident size of a process so far, in MB.
hwm_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# run BINARY LABEL [big]: a fresh database with 100 demo learners and two victims, the server, every scenario
# (the 600-login flood only with "big"). Writes "$work/LABEL.out": one line per scenario from auth_abuse,
# and hwm_* lines.
run() {
  local bin=$1 label=$2 big=${3:-} db="$work/$2.db" out="$work/$2.out"
  "$bin" demo-seed --db "$db" --learners 100 --attempts 1 >/dev/null
  for v in victim1 victim2; do echo "$password" | "$bin" user add "$v" --db "$db" >/dev/null; done
  local port
  port=$(free_port)
  # Every refusal logs a warning (to stdout): kept out of the terminal.
  INFRA_DOJO_DB="$db" RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" >"$work/$label.log" 2>&1 &
  server=$!
  wait_ok "http://127.0.0.1:$port/healthz" "$(now_ms)" >/dev/null
  local base="http://127.0.0.1:$port"
  curl -fs -o /dev/null "$base/login"
  {
    echo "hwm_idle=$(hwm_mb "$server") rss_idle=$(rss_mb "$server")"
    "$abuse" "$base" race victim1 "$password" 40
    "$abuse" "$base" burst victim2 "$password" 100
    echo "hwm_after_race=$(hwm_mb "$server")"
    "$abuse" "$base" login-flood demo- 3 demo-password 100
    echo "hwm_after_logins=$(hwm_mb "$server")"
    "$abuse" "$base" signup-flood flood 100 many
    echo "hwm_after_signups=$(hwm_mb "$server")"
    "$abuse" "$base" signup-flood one 40 one
    if [ -n "$big" ]; then
      "$abuse" "$base" login-flood demo- 3 demo-password 600
      echo "hwm_after_600=$(hwm_mb "$server")"
    fi
    echo "rss_end=$(rss_mb "$server")"
  } | tee "$out"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

labels=()
if [ -n "$baseline" ]; then
  run "$baseline" "$baseline_label"
  labels+=("$baseline_label")
fi
commit=$(git rev-parse --short HEAD)
if [ -n "$(git status --porcelain -- src migrations templates)" ]; then commit="$commit+changes"; fi
run ./target/release/infra-dojo "$commit" big
labels+=("$commit")

# value LABEL KEY [N]: a value from the run's output: from the line of scenario `SCENARIO n=N` when the key
# is SCENARIO.KEY, else from the hwm lines.
value() {
  local label=$1 key=$2 n=${3:-} line
  case "$key" in
    *.*) line=$(grep -h "^scenario=${key%%.*} n=$n " "$work/$label.out") ; key=${key#*.} ;;
    *) line=$(grep -h "$key=" "$work/$label.out") ;;
  esac
  echo "$line" | tr ' ' '\n' | awk -F= -v k="$key" '$1 == k { print $2 }'
}
# outcome LABEL SCENARIO N: the statuses of a burst, and its slowest answer.
outcome() {
  local s
  s="$(value "$1" "$2.s303" "$3") × 303, $(value "$1" "$2.s401" "$3") × 401, $(value "$1" "$2.s429" "$3") × 429"
  echo "$s, $(value "$1" "$2.s503" "$3") × 503, $(value "$1" "$2.other" "$3") other; slowest $(value "$1" "$2.slowest_ms" "$3") ms"
}
race_cell() { echo "$(value "$1" race.s401 40) × 401, $(value "$1" race.s429 40) × 429, $(value "$1" race.other 40) other; then the right password → $(value "$1" race.right_after 40)"; }
burst_cell() { echo "$(outcome "$1" burst 100); the right one → $(value "$1" burst.last 100)"; }
idle_cell() { echo "$(value "$1" hwm_idle) MB / $(value "$1" hwm_after_race) MB"; }
logins_cell() { outcome "$1" login-flood 100; }
logins_hwm() { echo "$(value "$1" hwm_after_logins) MB"; }
signups_cell() { outcome "$1" signup-flood-many 100; }
signups_hwm() { echo "$(value "$1" hwm_after_signups) MB"; }
signups_one_cell() { outcome "$1" signup-flood-one 40; }
big_cell() {
  if grep -q "^scenario=login-flood n=600 " "$work/$1.out"; then outcome "$1" login-flood 600; else echo "not run (~11 GiB)"; fi
}
big_hwm() {
  if grep -q "hwm_after_600=" "$work/$1.out"; then echo "$(value "$1" hwm_after_600) MB"; else echo "—"; fi
}
row() { # row TITLE CELL-FUNCTION: one table row, a cell per run
  local cells="| $1 |"
  for l in "${labels[@]}"; do cells="$cells $($2 "$l") |"; done
  echo "$cells"
}

header="| measure |"; rule="|---|"
for l in "${labels[@]}"; do header="$header $l |"; rule="$rule---|"; done

cat > "$bench_dir/results/auth-abuse.md" <<MD
## Accounts under attack (\`bench/auth-abuse.sh${baseline:+ $baseline $baseline_label}\`)

$(date -u '+%Y-%m-%d %H:%M UTC') on $(machine). Release builds, each on a fresh database (100 demo learners,
two victims), attacked over loopback by \`examples/auth_abuse.rs\`, which shares the machine's cores with the
server. Logins and sign-ups in the floods come from one loopback address each (127.x.y.z); "peak RSS" is the
server's VmHWM after the step. A 401 means a password was checked; a 429 was refused before checking; a
503 waited longer than the hashing queue allows (3 s).${baseline:+ The $baseline_label column is a release build of that
commit, run the same way.}

$header
$rule
$(row "40 wrong passwords at once from one address" race_cell)
$(row "100 at once from another address, the right password sent last" burst_cell)
$(row "peak RSS: idle / after those two" idle_cell)
$(row "100 learners log in at once" logins_cell)
$(row "peak RSS after the 100 logins" logins_hwm)
$(row "100 sign-ups at once from 100 addresses" signups_cell)
$(row "peak RSS after the sign-ups" signups_hwm)
$(row "40 sign-ups at once from one address" signups_one_cell)
$(row "600 logins at once (500 of them unknown names)" big_cell)
$(row "peak RSS after the 600" big_hwm)
MD
assemble_results
cat "$bench_dir/results/auth-abuse.md"
