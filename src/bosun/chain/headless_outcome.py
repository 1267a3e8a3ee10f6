"""A headless agent node's outcome, decided from the agent's own result (pure).

The CLI's result event decides: a run that exits 0 with a successful result event is a
success (the status file the agent may write refines it: its outcome, label and context
updates); anything else is a failure with a classified reason:

- the run was cancelled: canceled;
- the node timeout passed: deterministic (as for supervised nodes);
- HTTP 429/5xx, overloaded, rate limit, a dropped or terminated stream, retries
  exhausted, a JSON stream that ended (exit 0) without its result event: transient_infra;
- Claude's `error_max_turns`, a context or token budget: budget_exhausted;
- any other error or non-zero exit: the class its words suggest (`classify_failure`).
"""

from __future__ import annotations

import re

from bosun.pipeline.outcomes import FailureClass, Outcome, classify_failure, failure, success
from bosun.runtime.headless import HeadlessResult

_PROVIDER_FAULT = re.compile(
    r"\b(429|5\d\d)\b|overloaded|rate.?limit|too many requests|retry limit|"
    r"stream disconnected|terminated|connection (reset|refused|closed|error)|socket hang up|"
    r"econnreset|fetch failed|api error|internal server error|service unavailable",
    re.IGNORECASE,
)
_BUDGET = re.compile(r"max.?turns|context (window|length)|prompt is too long|budget", re.I)
RESPONSE_CONTEXT_CHARS = 200


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def failure_detail(tool: str, result: HeadlessResult) -> str:
    """One line: what the CLI said went wrong, and how it ended."""
    s = result.summary
    said = s.error or (s.errors[-1] if s.errors else "") or _last_line(result.stderr_tail)
    if result.exit_code not in (None, 0):
        ending = f"exit {result.exit_code}"
    elif s.status == "":
        ending = "no result event"
    else:
        ending = f"result {s.status}"
    if s.error_status:
        ending += f", HTTP {s.error_status}"
    return f"{tool}: {said or 'ended without saying why'} ({ending})"


def classify_headless_failure(result: HeadlessResult, detail: str) -> FailureClass:
    s = result.summary
    status = s.error_status or 0
    if status == 429 or status >= 500:
        return FailureClass.TRANSIENT_INFRA
    if s.format != "text" and s.status == "" and result.exit_code == 0:
        return FailureClass.TRANSIENT_INFRA  # the stream was cut before its result event
    if s.subtype == "error_max_turns" or _BUDGET.search(detail):
        return FailureClass.BUDGET_EXHAUSTED
    if _PROVIDER_FAULT.search(detail) or any(_PROVIDER_FAULT.search(e) for e in s.errors[-3:]):
        return FailureClass.TRANSIENT_INFRA
    return classify_failure(detail)


def resume_never_started(result: HeadlessResult) -> bool:
    """A resumed run that failed before its stream named a session: the CLI had no
    conversation to resume (it was lost, or never saved)."""
    return (
        not result.stopped
        and not result.timed_out
        and result.exit_code not in (0, None)
        and not result.summary.session_id
    )


def headless_outcome(
    node_id: str, tool: str, result: HeadlessResult, reported: Outcome | None = None
) -> Outcome:
    """The node's outcome from the run's result and the status file the agent wrote."""
    s = result.summary
    if result.stopped:
        return failure(f"canceled: {result.stopped}", FailureClass.CANCELED)
    if result.timed_out:
        return failure(
            f"node timeout: {tool} headless run did not finish within {result.seconds:.0f}s",
            FailureClass.DETERMINISTIC,
        )
    ended_well = result.exit_code == 0 and s.status in ("success", "") and not s.error
    if s.format != "text" and s.status != "success":
        ended_well = False  # a JSON stream that never reported its result was cut short
    if not ended_well:
        detail = failure_detail(tool, result)
        return failure(detail, classify_headless_failure(result, detail))
    updates = {
        "last_response": s.text[:RESPONSE_CONTEXT_CHARS],
        f"{node_id}.session_id": s.session_id,
    }
    if reported is not None:
        return Outcome(
            status=reported.status,
            preferred_label=reported.preferred_label,
            suggested_next_ids=reported.suggested_next_ids,
            context_updates={**updates, **reported.context_updates},
            notes=reported.notes or s.text[:2000],
            failure_reason=reported.failure_reason,
            failure_class=reported.failure_class,
        )
    return success(context_updates=updates, notes=s.text[:2000])
