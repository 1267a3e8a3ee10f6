"""Settings of the pipeline engine."""

from bosun.base.config import Setting, declare


def _prefix_ok(value: object) -> str | None:
    text = str(value).strip().strip("/")
    return None if text else "the run branch prefix cannot be empty or only '/'"


declare(
    Setting(
        "pipeline.run_branch_prefix",
        "str",
        "bosun/run",
        "prefix of run branches (<prefix>/<run_id>, <prefix>/parallel/<run_id>/…)",
        check=_prefix_ok,
    ),
    Setting(
        "pipeline.default_max_retries",
        "int",
        0,
        "retries of a node when neither the node nor the graph sets one",
        minimum=0,
    ),
    Setting(
        "pipeline.tool_timeout",
        "duration",
        600.0,
        "timeout of a tool node without its own `timeout`",
        minimum=0.001,
    ),
    Setting(
        "pipeline.stall_timeout",
        "duration",
        600.0,
        "seconds without progress before the stall watchdog fails the run",
        minimum=0.05,
    ),
    Setting(
        "pipeline.max_goal_gate_retries",
        "int",
        3,
        "how many times unsatisfied goal gates may send the run back",
        minimum=0,
    ),
    Setting("pipeline.max_restarts", "int", 50, "loop restarts allowed in one run", minimum=0),
    Setting(
        "pipeline.loop_restart_signature_limit",
        "int",
        3,
        "the run aborts when one restart failure signature is seen this often",
        minimum=1,
    ),
    Setting(
        "pipeline.model_catalog",
        "str",
        "",
        "model catalog file for preflight (bosun TOML/JSON or LiteLLM JSON); default: the "
        "project copy from `bosun run catalog update`, else the pinned one",
    ),
    Setting(
        "pipeline.stop_grace",
        "duration",
        10.0,
        "seconds `bosun run stop` waits after SIGTERM",
        minimum=0,
    ),
)
