"""Where QNP Studio spends its time on the peer scenario (bench layer).

Usage: python bench/peers/profile_qnp.py [NODES] [PAIRS] [--tool py-spy|pyinstrument]

``py-spy`` (default) samples the run from outside the process, so it barely slows it down;
``pyinstrument`` runs inside it and inflates functions that make many small calls. Both print the
hottest functions by self time and by inclusive time, as percentages of the simulation loop
(``Scheduler.run_until``), aggregated per function (line numbers dropped).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scenario import Scenario  # noqa: E402

LOOP = "Scheduler.run_until"
_LINE = re.compile(r":\d+\)$")


def _function(frame: str) -> str:
    """'Intermediate._swap (qnp_engine/network/intermediate.py:93)' -> without the line number."""
    return _LINE.sub(")", frame.strip())


def report(stacks: dict[tuple[str, ...], float], top: int = 25) -> str:
    """Self and inclusive shares of each function within the samples that ran the simulation loop."""
    own: dict[str, float] = defaultdict(float)
    incl: dict[str, float] = defaultdict(float)
    total = 0.0
    for stack, weight in stacks.items():
        names = [_function(f) for f in stack]
        loop_at = next((i for i, n in enumerate(names) if n.startswith(LOOP)), None)
        if loop_at is None:
            continue
        total += weight
        inside = names[loop_at:]
        own[inside[-1]] += weight
        for name in set(inside):
            incl[name] += weight
    if total == 0:
        return "no samples inside the simulation loop"
    lines = [f"{total:.0f} samples in {LOOP}", "", "self time:"]
    lines += [f"  {100 * v / total:5.1f}%  {k}" for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["", "inclusive time:"]
    lines += [f"  {100 * v / total:5.1f}%  {k}" for k, v in sorted(incl.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


def with_py_spy(sc: Scenario, engine: str | None = None) -> str:
    """Profile ``qnp_side.py`` in a child process; ``engine``: another qnp_engine tree to put first on the path."""
    spy = Path(sys.executable).with_name("py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "qnp.raw"
        cmd = [str(spy), "record", "-r", "1000", "-f", "raw", "-o", str(raw), "--",
               sys.executable, str(HERE / "qnp_side.py"), sc.to_json(), "0"]
        # py-spy sees Python frames only: always the pure-Python engine.
        env = dict(os.environ, QNP_ENGINE_COMPILED="off", **({"PYTHONPATH": engine} if engine else {}))
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        result = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
        stacks: dict[tuple[str, ...], float] = defaultdict(float)
        for line in raw.read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            stacks[tuple(frames.split(";"))] += float(count)
    head = (f"py-spy: {result['delivered']} pairs on {sc.nodes} nodes, {result['events']} events, "
            f"wall {result['wall_s']:.3f} s")
    return head + "\n" + report(stacks)


def with_pyinstrument(sc: Scenario) -> str:
    import qnp_side
    from pyinstrument import Profiler
    from pyinstrument.frame import SYNTHETIC_LEAF_IDENTIFIERS

    profiler = Profiler(interval=0.001)
    profiler.start()
    result = qnp_side.run(sc, 0)
    profiler.stop()
    stacks: dict[tuple[str, ...], float] = defaultdict(float)

    def walk(frame, path: tuple[str, ...]) -> None:
        here = path + (f"{frame.function} ({frame.file_path_short}:{frame.line_no})",)
        for child in frame.children:
            if child.identifier in SYNTHETIC_LEAF_IDENTIFIERS:  # "[self]": the parent's own time
                stacks[here] += child.time
            else:
                walk(child, here)

    walk(profiler.last_session.root_frame(), ())
    # pyinstrument names methods without their class; match the loop by its function name.
    renamed = {tuple(f.replace("run_until (", f"{LOOP} (") for f in s): w for s, w in stacks.items()}
    head = (f"pyinstrument: {result.delivered} pairs on {sc.nodes} nodes, {result.events} events, "
            f"wall {result.wall_s:.3f} s (slowed down by the profiler)")
    return head + "\n" + report(renamed)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tool = "pyinstrument" if "--tool" in sys.argv and sys.argv[sys.argv.index("--tool") + 1] == "pyinstrument" \
        else "py-spy"
    args = [a for a in args if a not in ("py-spy", "pyinstrument")]
    nodes = int(args[0]) if args else 9
    pairs = int(args[1]) if len(args) > 1 else 5000
    sc = Scenario(nodes=nodes, pairs=pairs, wall_budget_s=600)
    print(with_py_spy(sc) if tool == "py-spy" else with_pyinstrument(sc))


if __name__ == "__main__":
    main()
