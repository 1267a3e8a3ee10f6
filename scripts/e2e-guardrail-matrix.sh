#!/usr/bin/env bash
# The run-reliability guardrail matrix (seed 001, task 8), with the real CLI:
#   1. deterministic failure -> loop_restart_blocked + final.json, no restart-1/
#   2. transient timeout     -> circuit breaker + final.json in the base and restart dirs
#   3. detached launch       -> run.pid at once, final.json eventually
# Exits non-zero on the first failed check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOSUN="${BOSUN:-$ROOT/.venv/bin/bosun}"
PY="${PY:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d -t bosun-guardrails.XXXXXX)"
DETACHED_PID=""

cleanup() {
    if [[ -n "$DETACHED_PID" ]] && kill -0 "$DETACHED_PID" 2>/dev/null; then
        kill -KILL -- "-$DETACHED_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok   $*"; }
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

cd "$WORK"

# -- 1. deterministic failure: the restart is blocked -----------------------------------
cat > deterministic.dot <<'DOT'
digraph G {
  start [shape=Mdiamond]; exit [shape=Msquare]
  work [shape=parallelogram, tool_command="true"]
  check [shape=parallelogram, tool_command="exit 1"]
  start -> work
  work -> check [condition="outcome=success"]
  work -> exit [condition="outcome=fail"]
  check -> exit [condition="outcome=success"]
  check -> work [condition="outcome=fail", loop_restart=true]
}
DOT
if "$BOSUN" run deterministic.dot --run-id det --logs-root "$WORK/det" >/dev/null 2>&1; then
    fail "deterministic run exited 0"
fi
[[ -f det/final.json ]] || fail "deterministic: no final.json"
[[ "$(field det/final.json status)" == "fail" ]] || fail "deterministic: status is not fail"
field det/final.json failure_reason | grep -q "loop_restart_blocked" \
    || fail "deterministic: reason lacks loop_restart_blocked"
[[ ! -e det/restart-1 ]] || fail "deterministic: restart-1/ exists"
grep -q '"event": "loop_restart_blocked"' det/progress.ndjson || fail "deterministic: no event"
pass "deterministic failure -> loop_restart_blocked, final.json, no restart-1/"

# -- 2. transient timeout: restarts until the circuit breaker ---------------------------
cat > transient.dot <<'DOT'
digraph G {
  loop_restart_signature_limit=2
  start [shape=Mdiamond]; exit [shape=Msquare]
  work [shape=parallelogram, tool_command="true"]
  check [shape=parallelogram, tool_command="sleep 5", timeout="300ms"]
  start -> work
  work -> check [condition="outcome=success"]
  work -> exit [condition="outcome=fail"]
  check -> exit [condition="outcome=success"]
  check -> work [condition="outcome=fail && context.failure_class=transient_infra", loop_restart=true]
  check -> exit [condition="outcome=fail && context.failure_class!=transient_infra"]
}
DOT
if "$BOSUN" run transient.dot --run-id tr --logs-root "$WORK/tr" >/dev/null 2>&1; then
    fail "transient run exited 0"
fi
[[ -f tr/final.json ]] || fail "transient: no final.json in the base dir"
[[ -f tr/restart-1/final.json ]] || fail "transient: no final.json in restart-1/"
cmp -s tr/final.json tr/restart-1/final.json || fail "transient: final.json not mirrored"
field tr/final.json failure_reason | grep -q "loop_restart_circuit_breaker" \
    || fail "transient: reason lacks loop_restart_circuit_breaker"
[[ ! -e tr/restart-2 ]] || fail "transient: restarted past the signature limit"
pass "transient timeout -> circuit breaker, final.json in base and restart-1/"

# -- 3. detached launch ----------------------------------------------------------------
cat > detached.dot <<'DOT'
digraph G {
  start [shape=Mdiamond]; exit [shape=Msquare]
  nap [shape=parallelogram, tool_command="sleep 1"]
  start -> nap
  nap -> exit [condition="outcome=success"]
}
DOT
out="$("$BOSUN" run detached.dot --detach --run-id dt --logs-root "$WORK/dt")" \
    || fail "detached launch exited non-zero"
grep -q "^run_id=dt$" <<<"$out" || fail "detached: no run_id= line"
grep -q "^logs_root=$WORK/dt$" <<<"$out" || fail "detached: no logs_root= line"
grep -q "^pid_file=$WORK/dt/run.pid$" <<<"$out" || fail "detached: no pid_file= line"
DETACHED_PID="$(cat dt/run.pid)"
[[ "$DETACHED_PID" =~ ^[0-9]+$ ]] || fail "detached: run.pid is not a pid"
for _ in $(seq 1 600); do
    [[ -f dt/final.json ]] && break
    sleep 0.1
done
[[ -f dt/final.json ]] || fail "detached: final.json did not appear within 60s"
[[ "$(field dt/final.json status)" == "success" ]] || fail "detached: status is not success"
pass "detached launch -> run.pid, final.json"

echo "guardrail matrix: all 3 scenarios passed"
