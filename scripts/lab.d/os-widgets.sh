#!/usr/bin/env bash
# The lab's OS widgets beyond the fork tree — pipe, signals, sched, race, procmem — with real processes,
# each experiment writing one JSON object into OUT/<widget>/<experiment>.json.
#
#   scripts/lab.d/os-widgets.sh OUT
#
# scripts/lab runs this in a PID namespace of its own (unshare --pid --kill-child), so that every
# process an experiment starts — a bash on a pty, its jobs, busy loops — dies with it, on failure too.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$1"
d=scripts/lab.d
mkdir -p "$out"/{pipe,signals,sched,race,procmem}
run() { # run FILE COMMAND… — one experiment, bounded
  timeout --kill-after=2 30 "${@:2}" >"$1"
}

for s in pipeline early-exit shell-keeps-w grep-keeps-w cat-keeps-r; do
  run "$out/pipe/$s.json" python3 $d/pipe.py run "$s"
done
run "$out/pipe/statuses.json" python3 $d/pipe.py statuses
run "$out/pipe/capacity.json" python3 $d/pipe.py capacity

run "$out/signals/table.json" python3 $d/signals.py table
run "$out/signals/bash.json" python3 $d/signals.py bash
for s in ctrl-c ctrl-c+catch ctrl-c+ignore ctrl-c+block ctrl-z ctrl-backslash kill kill+catch kill+ignore kill+block stop-cont; do
  run "$out/signals/$s.json" python3 $d/signals.py run "$s"
done

run "$out/sched/lifecycle.json" python3 $d/sched.py lifecycle
run "$out/sched/queue.json" python3 $d/sched.py queue

# Real threads need a compiled helper (Python's threads take turns under its lock).
run "$out/race/threads.json" cargo run --quiet --example lab_race -- threads
run "$out/race/mutex.json" cargo run --quiet --example lab_race -- mutex
run "$out/race/fork.json" python3 $d/memory.py cow

run "$out/procmem/maps.json" python3 $d/memory.py maps
for e in fork-cloexec-handler thread-cloexec-handler exec-cloexec-handler exec-keep-handler \
  exec-cloexec-ignore exec-keep-ignore exec-cloexec-default exec-keep-default; do
  IFS=- read -r op fd4 sigint <<<"$e"
  run "$out/procmem/$e.json" python3 $d/memory.py "$op" "$fd4" "$sigint"
done
