"""Browser benchmark of the app: 100-node render times, and the live map's refresh rate and cost to a run.

Starts the app (``streamlit run app.py``) on a free port with a fresh database and drives Debian's chromium
with Playwright at 1366x768:

1. Designer: time from clicking "Open in the designer" (random-100, on the landing page) until the canvas
   shows all 100 nodes (median of ``--designer-repeats``), and from opening the "Map view" tab until the
   plotly map is drawn (target: < 2 s). Then the same click on a bare page holding only the canvas
   component: its fixed start-up (loading its 2.8 MB script into a new iframe), which no app change removes.
2. Fidelity map: a run of random-100 (requests without pair limits) watched on the Run page right after it
   was submitted, before the worker's first sample: time until its map is drawn (from the scenario and the
   planned circuits) and until samples colour it. Then a run already sampling: time from selecting it until
   its map is drawn (target < 2 s), and how often the map changes while the run goes (target: >= 1 refresh/s).
3. Cost: the same run (same seed) with nobody watching and with the Run page refreshing every second, in
   alternating order. Reported: the ratio of the worker's CPU time (its own work; target < 1.10) and of the
   wall time from start to end (what a user waits; on a 2-core machine the browser competes for the CPU),
   and the CPU the app server and chromium used meanwhile. Then the same with the app server's polling work
   alone (the Run page's reads and figures every 0.9 s from a thread, no browser): the cost a run pays on a
   server when the browser runs on the user's computer.

Times to a drawn page are stamped in the page itself (a 10 ms timer started just before the click), not by
Playwright's waits, whose back-off polling would add up to half a second.

Usage: ``python bench/app_map_refresh.py [--duration-s 3.0] [--repeats 2] [--designer-repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import open_database, sqlite_url  # noqa: E402
from storage.runs import get_run, submit_entanglement  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLOW = 'iframe[title="streamlit_flow.streamlit_flow"]'
TICKS = os.sysconf("SC_CLK_TCK")


def start_app(db: Path, log: Path, script: str = "app.py") -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, QNP_STUDIO_DB=str(db), PYTHONPATH=str(ROOT))
    env.pop("QNP_STUDIO_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the app did not start:\n{log.read_text()[-2000:]}")


def idle(page, quiet_ms: int = 600) -> None:
    page.wait_for_function(
        """(q) => { const busy = !!document.querySelector('[data-testid="stStatusWidget"]');
        const t = performance.now(); if (busy || window.__q === undefined) { window.__q = busy ? undefined : t; }
        return !busy && t - window.__q >= q; }""",
        arg=quiet_ms, timeout=60_000, polling=100)


# Milestones are stamped inside the page by a 10 ms timer started just before the click: Playwright's own
# waits poll with a back-off (up to 500 ms between checks), which would add up to half a second to a time.
MARKS_JS = """(conds) => { const fns = Object.entries(conds).map(([k, body]) => [k, new Function(body)]);
    const t0 = performance.now(); window.__marks = {};
    const id = setInterval(() => { const now = performance.now();
        for (const [k, fn] of fns) { if (window.__marks[k] === undefined) { try { if (fn()) window.__marks[k] =
            (now - t0) / 1000; } catch (e) {} } }
        if (fns.every(([k]) => window.__marks[k] !== undefined)) clearInterval(id); }, 10); }"""
FLOW_NODES = """return [...document.querySelectorAll('iframe[title="streamlit_flow.streamlit_flow"]')].some(f =>
    f.contentDocument && f.contentDocument.querySelectorAll('.react-flow__node').length === %d);"""
FLOW_PANE = """return [...document.querySelectorAll('iframe[title="streamlit_flow.streamlit_flow"]')].some(f =>
    f.contentDocument && !!f.contentDocument.querySelector('.react-flow__pane'));"""
H1 = "return [...document.querySelectorAll('h1')].some(h => h.textContent.includes(%r));"
MAP_TITLE = "return [...document.querySelectorAll('.gtitle')].some(t => /%s/.test(t.textContent));"
ANY_MAP, SAMPLED_MAP = MAP_TITLE % "Fidelity map", MAP_TITLE % r"Fidelity map .* step \d+"


def click_and_mark(page, target, marks: dict[str, str]) -> dict[str, float]:
    """Click ``target`` and return, per mark, the seconds until its JS condition first held in the page."""
    page.evaluate(MARKS_JS, marks)
    target.click()
    page.wait_for_function("(n) => Object.keys(window.__marks).length === n", arg=len(marks), timeout=60_000,
                           polling=100)
    return page.evaluate("() => window.__marks")


def run_spec(duration_s: float) -> str:
    data = yaml.safe_load((ROOT / "sample_topologies" / "random-100.yaml").read_text())
    for req in data.get("requests") or []:
        req.pop("pairs", None)  # keep every circuit busy for the whole run
    data.setdefault("simulation", {})["max_time_s"] = duration_s
    return yaml.safe_dump(data, sort_keys=False)


def chromium_cpu_s() -> float:
    """CPU seconds of every chromium process on this machine (the browser this script drives)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"chromium" not in stat.read_bytes().split(b"\0", 1)[0]:
                continue
        except OSError:
            continue
        total += proc_cpu_s(int(stat.parent.name)) or 0.0
    return total


def proc_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class RunFollower(threading.Thread):
    """Follows one run from another thread: the worker's CPU seconds (from /proc) and its wall time."""

    def __init__(self, engine, run_id: int):
        super().__init__(daemon=True)
        self.engine, self.run_id = engine, run_id
        self.cpu_s, self.wall_s, self.error = 0.0, 0.0, ""
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            run = get_run(self.engine, self.run_id)
            if run.worker_pid:
                sample = proc_cpu_s(run.worker_pid)
                self.cpu_s = sample if sample is not None else self.cpu_s
            if run.status in ("done", "failed", "cancelled"):
                self.error = "" if run.status == "done" else f"run {self.run_id} ended {run.status}: {run.error}"
                self.wall_s = (run.finished_at - run.started_at).total_seconds()
                return
            time.sleep(0.02)
        self.error = f"run {self.run_id} did not finish"

    def result(self) -> tuple[float, float]:
        self.join()
        assert not self.error, self.error
        return self.cpu_s, self.wall_s


def designer_times(page, url: str, sample: str, n: int) -> tuple[float, float]:
    """(seconds from "Open in the designer" to ``n`` nodes on the canvas, seconds to draw the Map view tab)."""
    page.goto(url)
    page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=60_000)
    idle(page)
    page.get_by_test_id("stRadioOption").filter(has_text=sample).click()
    idle(page)
    t = click_and_mark(page, page.get_by_role("button", name="Open in the designer"),
                       {"page": H1 % "Designer", "pane": FLOW_PANE, "nodes": FLOW_NODES % n})
    t_canvas = t["nodes"]
    print(f"  {sample}: designer page shown {t['page']:.2f} s, empty canvas {t['pane']:.2f} s, "
          f"{n} nodes {t_canvas:.2f} s")
    canvas = page.locator(FLOW).filter(visible=True).last.content_frame
    assert canvas.locator(".react-flow__node").count() == n
    idle(page)
    t0 = time.perf_counter()
    page.get_by_role("tab", name="Map view").click()
    page.wait_for_function(
        """(n) => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.offsetParent !== null
            && /Layout view/.test(p.textContent) && p.querySelectorAll('.scatterlayer .point').length >= n)""",
        arg=n, timeout=60_000, polling=50)
    return t_canvas, time.perf_counter() - t0


BARE_PAGE = """
import streamlit as st
from streamlit_flow import streamlit_flow
from pages.ui.draft import draft_from_yaml
from pages.ui.flow_adapter import flow_from_draft
from pages.ui.session import sample_yaml

pick = st.radio("Sample networks", ["chain-3", "random-100"], key="s")
if st.button("Open in the designer"):
    st.session_state["show"] = pick
if st.session_state.get("show"):
    state, _ = flow_from_draft(draft_from_yaml(sample_yaml(st.session_state["show"])))
    streamlit_flow(f"c_{st.session_state['show']}", state, height=600, fit_view=True, hide_watermark=True)
"""


def bare_canvas_times(browser, tmp: Path, repeats: int = 3) -> list[float]:
    """The canvas component alone (a page with a radio, a button and the canvas; no app around it): seconds
    from the click to all 100 nodes of random-100. What is left of the designer's time is the app's."""
    script = tmp / "bare_canvas.py"
    script.write_text(BARE_PAGE)
    proc, url = start_app(tmp / "bare.db", tmp / "bare.log", str(script))
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    times = []
    try:
        for i in range(repeats + 1):  # the first one warms up the server and the browser
            page.goto(url)
            page.get_by_test_id("stRadioOption").first.wait_for(timeout=60_000)
            idle(page)
            page.get_by_test_id("stRadioOption").filter(has_text="random-100").click()
            idle(page)
            t = click_and_mark(page, page.get_by_role("button", name="Open in the designer"),
                               {"nodes": FLOW_NODES % 100})
            if i:
                times.append(t["nodes"])
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)
    return times


def map_just_launched(page, engine, spec: str) -> tuple[float, float]:
    """A run submitted a moment ago and watched at once (Run page, sidebar), before the worker's first sample:
    seconds until its map is drawn (from the scenario and the planned circuits), and until samples colour it
    (this includes the worker's start-up: a new Python process importing the engine)."""
    idle(page)
    run_id = submit_entanglement(engine, spec, seed=1).id
    t = click_and_mark(page, page.get_by_test_id("stSidebarNav").get_by_text("Run", exact=True),
                       {"map": ANY_MAP, "sampled": SAMPLED_MAP})
    t_map, t_step = t["map"], t["sampled"]
    sampled = t_step <= t_map
    print(f"  just launched: map drawn {t_map:.2f} s ({'after' if sampled else 'before'} the first sample), "
          f"first samples on it {t_step:.2f} s")
    while get_run(engine, run_id).status in ("queued", "running"):
        time.sleep(0.1)
    return t_map, t_step


def new_session(browser, page, url: str):
    """Close ``page`` and open the landing page in a new tab: a new Streamlit session, watching no run yet."""
    page.close()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url)
    page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=60_000)
    return page


def map_first_paint_and_refresh(page, engine, run_id: int) -> tuple[float, float, int]:
    """Go to the Run page (sidebar) while ``run_id`` runs: (seconds until its map is drawn, refreshes per
    second while it runs, map states seen)."""
    while get_run(engine, run_id).last_step < 0:
        time.sleep(0.02)
    idle(page)
    t = click_and_mark(page, page.get_by_test_id("stSidebarNav").get_by_text("Run", exact=True),
                       {"page": H1 % "Run", "map": SAMPLED_MAP})
    t_page, first = t["page"], t["map"]
    print(f"  run page shown {t_page:.2f} s, fidelity map {first:.2f} s")
    page.evaluate("""() => { window.__changes = []; let last = null;
        window.__watch = setInterval(() => { const t = [...document.querySelectorAll('.gtitle')].map(x => x.textContent)
            .find(x => x.startsWith('Fidelity map')); if (t && t !== last) { last = t; window.__changes.push(
            performance.now()); } }, 20); }""")
    while get_run(engine, run_id).status in ("queued", "running"):
        time.sleep(0.1)
    changes = page.evaluate("() => { clearInterval(window.__watch); return window.__changes; }")
    page.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True).click()  # stop watching
    if len(changes) < 2:
        return first, 0.0, len(changes)
    span = (changes[-1] - changes[0]) / 1000
    return first, (len(changes) - 1) / span if span > 0 else 0.0, len(changes)


class ServerPoller(threading.Thread):
    """What the Run page makes the app server do, without a browser: every 0.9 s the latest snapshot, the map
    data and its plotly JSON; every 3 s the time series of every request metric (incrementally)."""

    def __init__(self, engine, run_id: int):
        super().__init__(daemon=True)
        self.engine, self.run_id, self.ticks = engine, run_id, 0
        self.start()

    def run(self) -> None:
        from pages.ui.figures import network_figure
        from pages.ui.maps import run_map
        from pages.ui.run_data import REQUEST_METRICS, request_names, run_context
        from storage.samples import run_with_latest, time_series

        ctx, last_series, seen = None, 0.0, {}
        while True:
            view = run_with_latest(self.engine, self.run_id)
            ctx = ctx or run_context(view.run.spec, view.run.summary)
            nodes, links, circuits, lat0 = run_map(ctx.draft, view.latest.values, ctx.paths)
            network_figure(nodes, links, circuits, geo_lat0=lat0, show_occupancy=True).to_json()
            if time.monotonic() - last_series >= 3.0:
                for name in request_names(view.latest.values, ctx):
                    for metric in REQUEST_METRICS:
                        key = (name, metric)
                        pts = time_series(self.engine, self.run_id, f"request:{name}", metric,
                                          after_step=seen.get(key, -1))
                        seen[key] = pts[-1].step if pts else seen.get(key, -1)
                last_series = time.monotonic()
            self.ticks += 1
            if view.run.status not in ("queued", "running"):
                return
            time.sleep(0.9)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=3.0, help="simulated seconds of each random-100 run")
    ap.add_argument("--repeats", type=int, default=2, help="pairs of (unwatched, watched) runs")
    ap.add_argument("--designer-repeats", type=int, default=3, help="times the designer opens random-100")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} not found")
        return 0
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="qnp-bench-app-"))
    proc, url = start_app(tmp / "studio.db", tmp / "streamlit.log")
    engine = open_database(sqlite_url(tmp / "studio.db"))  # creates the schema if no page has yet
    spec = run_spec(args.duration_s)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            try:
                base_canvas, _ = designer_times(page, url, "chain-3", 3)
                designer = [designer_times(page, url, "random-100", 100) for _ in range(args.designer_repeats)]
            except Exception:
                page.screenshot(path=str(tmp / "failure.png"))
                print(f"failed; screenshot in {tmp / 'failure.png'}")
                raise
            canvas_s, tab_s = [d[0] for d in designer], [d[1] for d in designer]
            print(f"designer, random-100 canvas drawn:        {statistics.median(canvas_s):6.2f} s   (target < 2 s; "
                  f"median of {[round(t, 2) for t in canvas_s]}; chain-3 {base_canvas:.2f} s)")
            print(f"designer, random-100 map view drawn:      {statistics.median(tab_s):6.2f} s   (target < 2 s)")
            bare = bare_canvas_times(browser, tmp, args.designer_repeats)
            print(f"the canvas component alone, random-100:   {statistics.median(bare):6.2f} s   (a bare page: its "
                  f"fixed start-up; {[round(t, 2) for t in bare]})")
            alone, watched, server_cpu, browser_cpu, launched = [], [], [], [], []
            for i in range(args.repeats):
                page = new_session(browser, page, url)
                launched.append(map_just_launched(page, engine, spec))
                page = new_session(browser, page, url)  # this one watches the next run it is shown, not the last
                idle(page)  # nobody watching while the first run goes
                alone.append(RunFollower(engine, submit_entanglement(engine, spec, seed=1).id).result())
                run_id = submit_entanglement(engine, spec, seed=1).id
                follower = RunFollower(engine, run_id)
                cpu0 = (proc_cpu_s(proc.pid) or 0.0, chromium_cpu_s())
                first, rate, seen = map_first_paint_and_refresh(page, engine, run_id)
                watched.append(follower.result())
                server_cpu.append(((proc_cpu_s(proc.pid) or 0.0) - cpu0[0]) / watched[-1][1])
                browser_cpu.append((chromium_cpu_s() - cpu0[1]) / watched[-1][1])
                print(f"run page, fidelity map first drawn:       {first:6.2f} s   (target < 2 s; repeat {i + 1})")
                print(f"run page, live map refreshes:             {rate:6.2f} /s  (target >= 1/s; {seen} states "
                      f"in a {watched[-1][1]:.1f} s run)")
            print(f"run page, just launched, map drawn:       {statistics.median(m for m, _ in launched):6.2f} s   "
                  f"(target < 2 s; from the plan, before any sample: {[round(m, 2) for m, _ in launched]}; "
                  f"coloured by the first samples {[round(t, 2) for _, t in launched]} s)")
            browser.close()
        polled = []
        for _ in range(args.repeats):  # the app server's share alone: its polling work, no browser at all
            alone.append(RunFollower(engine, submit_entanglement(engine, spec, seed=1).id).result())
            run_id = submit_entanglement(engine, spec, seed=1).id
            follower = RunFollower(engine, run_id)
            ServerPoller(engine, run_id)
            polled.append(follower.result())
        cpu_ratio = statistics.median(w[0] for w in watched) / statistics.median(a[0] for a in alone)
        wall_ratio = statistics.median(w[1] for w in watched) / statistics.median(a[1] for a in alone)
        print(f"worker CPU,  watched / alone:             {cpu_ratio:6.3f}     (target < 1.10) "
              f"alone {[round(a[0], 2) for a in alone]} s, watched {[round(w[0], 2) for w in watched]} s")
        print(f"run wall,    watched / alone:             {wall_ratio:6.3f}     "
              f"alone {[round(a[1], 2) for a in alone]} s, watched {[round(w[1], 2) for w in watched]} s")
        poll_wall = statistics.median(p[1] for p in polled) / statistics.median(a[1] for a in alone)
        poll_cpu = statistics.median(p[0] for p in polled) / statistics.median(a[0] for a in alone)
        print(f"server polling only, wall / alone:        {poll_wall:6.3f}     (target < 1.10; worker CPU "
              f"{poll_cpu:.3f}) polled {[round(p[1], 2) for p in polled]} s")
        print(f"while watching, CPU per second of run: app server {statistics.median(server_cpu):.2f} s, "
              f"chromium {statistics.median(browser_cpu):.2f} s (this machine: {os.cpu_count()} CPUs; the browser "
              "normally runs on the user's own computer)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
