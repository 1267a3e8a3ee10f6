"""Pipeline benchmark: parse + validate a generated 1,000-node / 3,000-edge graph (bosun's
parser vs pydot on the same file), the same at 10,000 nodes / 30,000 edges to show how
parse and validate grow, and the engine's overhead per tool node running `true`.

Run: .venv/bin/python bench/pipeline_bench.py [--quick]

`--quick` (CI) times the same graph with fewer repeats (pydot once) and 15 tool nodes.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figure, markdown_table, median, write_section  # noqa: E402

from bosun.pipeline.dot import parse_dot  # noqa: E402
from bosun.pipeline.launch import RunOptions, start_run  # noqa: E402
from bosun.pipeline.validate import validate  # noqa: E402


def big_graph(nodes: int = 1000, edges: int = 3000, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = [
        "digraph Big {",
        '  goal="benchmark"',
        "  start [shape=Mdiamond]",
        "  exit [shape=Msquare]",
    ]
    ids = [f"n{i}" for i in range(nodes - 2)]
    for nid in ids:
        lines.append(
            f'  {nid} [shape=parallelogram, tool_command="true", timeout="90s", label="step {nid}"]'
        )
    chain = ["start", *ids]
    count = 0
    for a, b in zip(chain, chain[1:], strict=False):
        lines.append(f'  {a} -> {b} [condition="outcome=success"]')
        count += 1
    lines.append(f'  {ids[-1]} -> exit [condition="outcome=success"]')
    count += 1
    while count < edges:
        i = rng.randrange(len(ids) - 1)
        j = rng.randrange(i + 1, len(ids))
        lines.append(
            f'  {ids[i]} -> {ids[j]} [condition="outcome=fail", weight={rng.randint(0, 5)}]'
        )
        count += 1
    lines.append("}")
    return "\n".join(lines) + "\n"


def time_it(fn, repeat: int, clock=time.perf_counter) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return out


def engine_overhead(nodes: int = 40) -> tuple[float, float]:
    lines = ["digraph E {", "  start [shape=Mdiamond]", "  exit [shape=Msquare]"]
    prev = "start"
    for i in range(nodes):
        lines.append(f'  t{i} [shape=parallelogram, tool_command="true"]')
        lines.append(f"  {prev} -> t{i}" + (' [condition="outcome=success"]' if i else ""))
        prev = f"t{i}"
    lines += [f'  {prev} -> exit [condition="outcome=success"]', "}"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "g.dot").write_text("\n".join(lines))
        (root / "ws").mkdir()
        opts = RunOptions(workspace=root / "ws", runs_dir=root / "runs", use_git=False)
        t0 = time.perf_counter()
        record = start_run(root / "g.dot", opts, "bench")
        total = time.perf_counter() - t0
        assert record.status.value == "success", record
    spawn = median(time_it(lambda: subprocess.run(["/bin/sh", "-c", "true"], check=True), 40))
    per_node = total / (nodes + 2)
    return per_node, per_node - spawn


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    repeat, pydot_repeat, tool_nodes = (3, 1, 15) if quick else (7, 3, 40)
    text = big_graph()
    graph = parse_dot(text)
    assert len(graph.nodes) == 1000 and len(graph.edges) == 3000
    ours = time_it(lambda: validate(parse_dot(text)), repeat)
    ours_cpu = time_it(lambda: validate(parse_dot(text)), repeat, time.process_time)
    parse_only = time_it(lambda: parse_dot(text), repeat)
    import pydot

    theirs = time_it(lambda: pydot.graph_from_dot_data(text), pydot_repeat)
    ratio = median(theirs) / median(parse_only)
    big_text = big_graph(10_000, 30_000)
    big = parse_dot(big_text)
    assert len(big.nodes) == 10_000 and len(big.edges) == 30_000
    big_repeat = 1 if quick else 3
    big_parse = median(time_it(lambda: parse_dot(big_text), big_repeat))
    big_validate = median(time_it(lambda: validate(big), big_repeat))
    small_validate = median(time_it(lambda: validate(graph), repeat))
    growth = (big_parse + big_validate) / median(ours)
    per_node, overhead = engine_overhead(tool_nodes)
    rows = [
        [
            "parse + validate 1,000 nodes / 3,000 edges",
            f"{median(ours) * 1000:.1f} ms",
            "< 250 ms",
            "yes" if median(ours) < 0.25 else "NO",
        ],
        [
            "parse + validate, CPU time",
            f"{median(ours_cpu) * 1000:.1f} ms",
            "< 250 ms",
            "yes" if median(ours_cpu) < 0.25 else "NO",
        ],
        ["bosun parse only", f"{median(parse_only) * 1000:.1f} ms", "", ""],
        ["bosun validate only (1,000 nodes)", f"{small_validate * 1000:.1f} ms", "", ""],
        ["parse 10,000 nodes / 30,000 edges", f"{big_parse * 1000:.0f} ms", "", ""],
        ["validate 10,000 nodes / 30,000 edges", f"{big_validate * 1000:.0f} ms", "", ""],
        [
            "parse + validate growth, 10× the graph",
            f"{growth:.1f}×",
            "≈ 10× (linear)",
            "yes" if growth < 15 else "NO",
        ],
        ["pydot parse (same file)", f"{median(theirs) * 1000:.1f} ms", "", ""],
        ["pydot / bosun parse", f"{ratio:.1f}x", ">= 5x", "yes" if ratio >= 5 else "NO"],
        ["engine time per tool node (`true`)", f"{per_node * 1000:.2f} ms", "", ""],
        [
            "engine overhead per tool node (minus bare spawn)",
            f"{overhead * 1000:.2f} ms",
            "< 20 ms",
            "yes" if overhead < 0.02 else "NO",
        ],
    ]
    body = markdown_table(["measure", "median", "target", "met"], rows) + (
        f"\n\nLoad average during the run: {os.getloadavg()[0]:.1f}. Wall times include "
        "waiting for the CPU on a shared machine; the CPU-time row is the parser's own cost. "
        "Overhead = engine time per node minus a bare `sh -c true` spawn.\n"
    )
    print(body)
    summary = [
        Figure("parse + validate 1,000 nodes / 3,000 edges", median(ours) * 1000, "ms", "< 250"),
        Figure(
            "parse + validate 10,000 nodes / 30,000 edges",
            (big_parse + big_validate) * 1000,
            "ms",
            None,
            anchor=f"{growth:.1f}× the 1,000-node time",
        ),
        Figure(
            "parse speed vs pydot, same file",
            ratio,
            "×",
            ">= 5",
            anchor=(
                f"pydot {median(theirs) * 1000:,.0f} ms; bosun {median(parse_only) * 1000:.0f} ms"
            ),
        ),
        Figure(
            f"engine overhead per tool node ({tool_nodes} × `true`)", overhead * 1000, "ms", "< 20"
        ),
    ]
    command = "python bench/pipeline_bench.py" + (" --quick" if quick else "")
    write_section("pipeline", "Pipeline engine", command, body, summary=summary, quick=quick)


if __name__ == "__main__":
    main()
