"""docs/supervisor.md carries every `supervisor.*` and `identity.*` setting with its default;
this test fails when the table is stale. Regenerate it with:

    .venv/bin/python tests/integration/supervisor/test_supervisor_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "supervisor.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def _default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def settings_table() -> str:
    from bosun.base.config import all_settings

    rows = [
        "| setting | type | default | environment | meaning |",
        "|---|---|---|---|---|",
    ]
    for key, setting in sorted(all_settings().items()):
        if not key.startswith(("supervisor.", "identity.")):
            continue
        env = "BOSUN_" + key.upper().replace(".", "_")
        rows.append(
            f"| `{key}` | {setting.type} | `{_default(setting.default)}` | `{env}` | "
            f"{setting.help.replace('|', '/')} |"
        )
    return "\n".join(rows)


def test_the_settings_table_in_docs_matches_the_code() -> None:
    text = DOC.read_text()
    assert BEGIN in text and END in text, f"{DOC} lost its settings markers"
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == settings_table(), (
        "docs/supervisor.md settings table is stale; regenerate it with "
        "`.venv/bin/python tests/integration/supervisor/test_supervisor_docs.py`"
    )


if __name__ == "__main__":
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{settings_table()}\n{END}{tail}")
    sys.exit(0)
