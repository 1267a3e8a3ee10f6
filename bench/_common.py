"""Shared by every benchmark: the machine line, percentiles, summary figures, and the report.

A benchmark calls `write_section(name, title, command, body, summary=[Figure(...)], quick=...)`
once at the end. That stores its entry (figures, section text, machine, date, load average)
in docs/benchmarks.json, replacing the benchmark's previous entry, and regenerates
docs/benchmarks.md from the JSON: one summary table at the top, then every section.
`bench/run_all.py` runs them all and records failures in the same file.
A call without `summary` only replaces its `<!-- bench:NAME -->` section (older benchmarks).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_ENV = "BENCH_REPORT_DIR"  # where the report goes; docs/ unless set (run_all --out)
RUN_ID_ENV = "BENCH_RUN_ID"  # set by run_all so it can tell a fresh entry from an old one
ORDER = (
    "store", "runtime", "supervisor", "mergequeue", "pipeline", "chain", "triggers", "realcli",
)  # fmt: skip
HEADER = "# Benchmarks\n"
_LOAD_AT_START = os.getloadavg()[0]
_TARGET = re.compile(r"^(<=|>=|<|>|==)\s*(-?[0-9][0-9_,]*(?:\.[0-9]+)?)$")


def out_dir() -> Path:
    return Path(os.environ.get(OUT_ENV) or ROOT / "docs")


def report_path() -> Path:
    return out_dir() / "benchmarks.md"


def data_path() -> Path:
    return out_dir() / "benchmarks.json"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def machine_line() -> str:
    """Cores, memory and Python, without the date."""
    return f"{os.cpu_count()} cores, {memory_gib():.0f} GiB RAM, Python {platform.python_version()}"


def machine() -> str:
    return f"{machine_line()}, {time.strftime('%Y-%m-%d', time.gmtime())}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- summary figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One headline number. `target` is a comparison on `value` ("< 150", ">= 2000");
    `met` is computed from it unless given (for a target a number cannot express).
    `anchor` names what `ratio` compares the value with (e.g. "python3 -c pass: 29 ms")."""

    name: str
    value: float
    unit: str = ""
    target: str | None = None
    met: bool | None = None
    anchor: str | None = None
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.target is None:
            if self.met is not None:
                raise ValueError(f"figure {self.name!r}: `met` needs a target")
            return
        match = _TARGET.match(self.target.strip())
        if match is None:
            raise ValueError(f"figure {self.name!r}: bad target {self.target!r} (e.g. '< 150')")
        if self.met is None:
            object.__setattr__(self, "met", _compare(self.value, *match.groups()))

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "no target"
        return "met" if self.met else "not met"


def _compare(value: float, op: str, raw: str) -> bool:
    bound = float(raw.replace(",", "").replace("_", ""))
    if math.isnan(value):
        return False
    return {
        "<": value < bound,
        "<=": value <= bound,
        ">": value > bound,
        ">=": value >= bound,
        "==": value == bound,
    }[op]


def show_target(fig: Figure) -> str:
    """ "< 150 ms", "≥ 2,000 /s"; empty without a target."""
    match = _TARGET.match((fig.target or "").strip())
    if match is None:
        return ""
    op, raw = match.groups()
    symbol = {"<=": "≤", ">=": "≥", "==": "="}.get(op, op)
    return f"{symbol} {fmt(float(raw.replace(',', '').replace('_', '')), fig.unit)}"


def figure_from(data: dict[str, Any]) -> Figure:
    fields: dict[str, Any] = {k: data[k] for k in Figure.__dataclass_fields__ if k in data}
    return Figure(**fields)


def fmt(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "×":
        return f"{value:g}×" if float(value).is_integer() else f"{value:.1f}×"
    if float(value).is_integer() and abs(value) < 1e6:
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


# -- the JSON store ---------------------------------------------------------------------------


@dataclass
class Entry:
    """One benchmark's last result as kept in docs/benchmarks.json."""

    title: str
    command: str
    status: str = "ok"  # ok | failed | timed out
    quick: bool = False
    date: str = ""
    machine: str = ""
    load: list[float] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    section: str = ""
    error: str = ""
    seconds: float | None = None
    run_id: str = ""


def load_data() -> dict[str, Any]:
    path = data_path()
    if not path.exists():
        return {"benchmarks": {}}
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise SystemExit(
            f"error: {path} is not valid JSON ({exc}); fix it or move it aside"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), dict):
        raise SystemExit(f"error: {path} has no 'benchmarks' object; fix it or move it aside")
    return data


def save_data(data: dict[str, Any]) -> None:
    _atomic_write(data_path(), json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_section(
    name: str,
    title: str,
    command: str,
    body: str,
    summary: list[Figure] | None = None,
    quick: bool = False,
) -> None:
    """Record this benchmark's result and regenerate docs/benchmarks.md."""
    if summary is None:
        _replace_markdown_section(name, title, command, body)
        return
    data = load_data()
    entry = Entry(
        title=title,
        command=command,
        quick=quick,
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        machine=machine_line(),
        load=[round(_LOAD_AT_START, 1), round(os.getloadavg()[0], 1)],
        figures=[asdict(f) for f in summary],
        section=body.strip(),
        run_id=os.environ.get(RUN_ID_ENV, ""),
    )
    data["benchmarks"][name] = asdict(entry)
    save_data(data)
    regenerate(data)


def regenerate(data: dict[str, Any]) -> None:
    """Rewrite docs/benchmarks.md from `data`, keeping sections of benchmarks not in it."""
    report = report_path()
    old = report.read_text() if report.exists() else ""
    _atomic_write(report, render_report(data, kept_sections(old, exclude=data["benchmarks"])))


def kept_sections(markdown: str, exclude: Any = ()) -> dict[str, str]:
    """`<!-- bench:NAME -->` sections of `markdown`, by name, except those in `exclude`."""
    found = re.findall(r"(<!-- bench:([\w-]+) -->.*?<!-- /bench:\2 -->)", markdown, re.S)
    return {name: text for text, name in found if name not in exclude}


def _replace_markdown_section(name: str, title: str, command: str, body: str) -> None:
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = (
        f"{begin}\n## {title}\n\nReproduce: `{command}`  \nMachine: {machine()}\n\n"
        f"{body.strip()}\n{end}"
    )
    report = report_path()
    text = report.read_text() if report.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    _atomic_write(report, text)


def ordered(names: Any) -> list[str]:
    rank = {n: i for i, n in enumerate(ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(ORDER)), n))


# -- the report -------------------------------------------------------------------------------

SUMMARY_HEADERS = [
    "benchmark",
    "figure",
    "value",
    "target",
    "anchor",
    "ratio",
    "verdict",
    "reproduce",
]


def render_report(data: dict[str, Any], kept: dict[str, str] | None = None) -> str:
    """docs/benchmarks.md: the summary table of every benchmark's figures, then the sections.
    `kept` holds sections of benchmarks that report no figures, copied as they are."""
    entries: dict[str, dict[str, Any]] = data["benchmarks"]
    kept = {n: s for n, s in (kept or {}).items() if n not in entries}
    run = data.get("run_all") or {}
    absent = {**{n: "reports no summary figures" for n in kept}, **run.get("not_included", {})}
    absent = {n: why for n, why in absent.items() if n not in entries}
    rows: list[list[object]] = []
    for name in ordered(entries):
        rows += _summary_rows(name, entries[name])
    for name in ordered(absent):
        rows.append(
            [name, f"not run by run_all: {absent[name]}", "", "", "", "", "not included", ""]
        )
    parts = [HEADER, _preamble(run, entries), "## Summary", markdown_table(SUMMARY_HEADERS, rows)]
    parts.append(_tally(entries))
    for name in ordered(set(entries) | set(kept)):
        parts.append(_section(name, entries[name]) if name in entries else kept[name].strip())
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def _preamble(run: dict[str, Any], entries: dict[str, dict[str, Any]]) -> str:
    lines = []
    if run:
        command = "python bench/run_all.py" + (" --quick" if run.get("quick") else "")
        lines.append(
            f"Regenerated by `{command}` on {run['date']} in {run['seconds']:.0f} s.  \n"
            f"Machine: {run['machine']}. Load average (1 min): {run['load'][0]:.1f} at the "
            f"start, {run['load'][1]:.1f} at the end."
        )
    else:
        lines.append("Assembled from each benchmark's last run (dates in the sections).")
    lines.append(
        "Each benchmark also runs on its own (the reproduce column); a rerun replaces its "
        "figures here. The machine is shared and noisy: compare ratios measured in the same "
        "run rather than absolute times across runs."
    )
    if any(e.get("quick") for e in entries.values()):
        lines.append(
            "> **Quick figures.** Values marked *(quick)* come from `--quick` runs with reduced "
            "sizes (for CI); they are not the benchmarks' real figures. Rerun without "
            "`--quick` for those."
        )
    return "\n\n".join(lines)


def _summary_rows(name: str, entry: dict[str, Any]) -> list[list[object]]:
    command = f"`{entry['command']}`"
    status = entry.get("status", "ok")
    if status != "ok":
        what = f"benchmark {status}" + (
            f" after {entry['seconds']:.0f} s" if entry.get("seconds") else ""
        )
        return [[name, what, "—", "", "", "", f"**{status}**", command]]
    rows: list[list[object]] = []
    mark = " *(quick)*" if entry.get("quick") else ""
    for i, raw in enumerate(entry["figures"]):
        fig = figure_from(raw)
        target = show_target(fig)
        ratio = "" if fig.ratio is None else fmt(fig.ratio, "×")
        verdict = fig.verdict if fig.verdict != "not met" else "**not met**"
        rows.append(
            [
                name if i == 0 else "",
                fig.name,
                fmt(fig.value, fig.unit) + mark,
                target,
                fig.anchor or "",
                ratio,
                verdict,
                command if i == 0 else "",
            ]
        )
    if not rows:
        rows.append([name, "no figures reported", "", "", "", "", "no target", command])
    return rows


def _tally(entries: dict[str, dict[str, Any]]) -> str:
    verdicts = [
        figure_from(f).verdict
        for e in entries.values()
        if e.get("status", "ok") == "ok"
        for f in e["figures"]
    ]
    bad = [n for n, e in entries.items() if e.get("status", "ok") != "ok"]
    text = (
        f"{verdicts.count('met')} figures met their target, {verdicts.count('not met')} did "
        f"not, {verdicts.count('no target')} have no target"
    )
    return text + (f"; failed: {', '.join(ordered(bad))}." if bad else "; no benchmark failed.")


def _section(name: str, entry: dict[str, Any]) -> str:
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    status = entry.get("status", "ok")
    if status != "ok":
        after = f" after {entry['seconds']:.0f} s" if entry.get("seconds") else ""
        body = (
            f"`{entry['command']}` {status}{after}. The end of its output:\n\n"
            f"```text\n{entry.get('error', '').strip()}\n```"
        )
        return f"{begin}\n## {entry['title']} — {status}\n\n{body}\n{end}"
    load = entry.get("load") or []
    load_text = f"; load average {load[0]:.1f} → {load[1]:.1f}" if len(load) == 2 else ""
    title = entry["title"] + (" (quick run)" if entry.get("quick") else "")
    return (
        f"{begin}\n## {title}\n\nReproduce: `{entry['command']}`  \n"
        f"Machine: {entry['machine']}, {entry['date']}{load_text}\n\n{entry['section']}\n{end}"
    )
