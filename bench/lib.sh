# Shared by the benchmark scripts: machine description, free ports, and RESULTS.md assembly.
# Each script writes bench/results/<name>.md; RESULTS.md is those sections under one header.

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)

machine() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  echo "$(nproc) cores (${cpu:-unknown CPU}), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# RSS of a process in MB.
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Waits until URL answers 200; prints the milliseconds it took from $2 (a now_ms value).
wait_ok() {
  local url=$1 start=$2
  for _ in $(seq 1 2000); do
    if curl -fs -o /dev/null "$url"; then
      echo $(( $(now_ms) - start ))
      return 0
    fi
    sleep 0.005
  done
  echo "timeout waiting for $url" >&2
  return 1
}

assemble_results() {
  {
    echo "# Benchmark results"
    echo
    echo "Written by the scripts in \`bench/\`; each section says the machine and the command. These machines are"
    echo "shared and noisy, so targets are checked as ratios against a reference run in the same script where"
    echo "one exists."
    for f in "$bench_dir"/results/*.md; do
      echo
      cat "$f"
    done
  } > "$bench_dir/RESULTS.md"
}
