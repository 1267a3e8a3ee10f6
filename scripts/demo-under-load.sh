#!/usr/bin/env bash
# The Quick start's demo must hold on a busy 2-core machine: run `bosun demo --quick` N times
# in a row (default 5) while a busy loop spins on every core, and fail unless every run
# passes. Prints one line per run and a summary line.
#   bash scripts/demo-under-load.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cores=$(nproc)
spinners=()
stop_spinners() { for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; }
trap stop_spinners EXIT
for _ in $(seq 1 "$cores"); do
  (while :; do :; done) &
  spinners+=("$!")
done
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ./quickstart demo --quick >"/tmp/bosun-demo-under-load-$i.log" 2>&1; then
    passed=$((passed + 1)); verdict=pass
  else
    verdict=FAIL; tail -n 30 "/tmp/bosun-demo-under-load-$i.log"
  fi
  echo "demo under load: run $i/$runs $verdict in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1 /proc/loadavg), $cores spinners)"
done
echo "demo under load: $passed/$runs passed"
[ "$passed" -eq "$runs" ]
