"""End to end in a real browser: draw a network with the mouse, save it, ask for pairs, run it live, find it in
History, download the YAML; and bad input through the UI. Screenshots of every page go to docs/screenshots/."""

from __future__ import annotations

import re
import time
from pathlib import Path

from browser_helpers import (
    SCREENSHOTS,
    VIEWPORT,
    Server,
    canvas,
    choose,
    click_until,
    connect,
    create_node,
    delete_node,
    goto,
    move,
    nav,
    node,
    settle,
    shot,
)
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from qnp_engine.model import dump_scenario, load_scenario
from storage.db import create_db_engine, sqlite_url
from storage.runs import submit_entanglement

TALL = {"width": 1366, "height": 1300}  # the canvas and its node dialog fit without scrolling


def caption(page: Page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def set_role(page: Page, name: str, role: str) -> None:
    """Click the node on the canvas, pick its role in the inspector, Apply; retried if a click was dropped."""
    icon = {"end": "🔵", "repeater": "🔷"}[role]
    for attempt in range(3):
        fl = canvas(page)
        settle(page)
        node(fl, name).click()
        settle(page)
        try:
            expect(page.get_by_role("combobox", name="Selected element")).to_have_value(f"node {name}")
            form = page.get_by_test_id("stForm").first
            form.get_by_test_id("stRadioOption").filter(has_text=role, visible=True).click()
            form.get_by_role("button", name="Apply").click()
            settle(page)
            expect(node(canvas(page), name)).to_contain_text(icon, timeout=10_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def page_text(page: Page) -> str:
    """The caption, alerts and toasts on the page: what a failing step saw."""
    parts = [page.get_by_text(re.compile(r"^Editing ")).all_inner_texts(),
             page.get_by_test_id("stAlert").all_inner_texts(), page.get_by_test_id("stToast").all_inner_texts(),
             page.get_by_test_id("stStatusWidget").all_inner_texts()]
    return "\n".join(text for part in parts for text in part) or "(no caption, alert or toast)"


def download_yaml(page: Page, tmp: Path) -> str:
    path = tmp / "network.yaml"
    for attempt in range(3):  # a click merged into a concurrent rerun can be dropped: retry
        settle(page)
        button = page.get_by_role("button", name="⬇️ YAML")
        if button.is_disabled():  # the page thinks the draft is invalid: say what it shows instead of timing out
            raise AssertionError("the YAML download is disabled; the page shows:\n" + page_text(page))
        try:
            with page.expect_download(timeout=15_000) as info:
                button.click()
            info.value.save_as(path)
            return path.read_text(encoding="utf-8")
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def live_steps(page: Page, timeout_s: float) -> tuple[set[int], str]:
    """Poll the Run page until the run is done: the map's step numbers seen while running, and the final text."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = page.get_by_test_id("stProgress").first.inner_text()
        title = page.locator(".gtitle").first
        if "running" in text and title.count():
            m = re.search(r"step (\d+)", title.text_content() or "")
            if m:
                seen.add(int(m.group(1)))
        if "done" in text or "failed" in text:
            return seen, text
        page.wait_for_timeout(400)
    return seen, text


def test_draw_save_request_run_history_download(page: Page, server: Server, tmp_path: Path) -> None:
    page.set_viewport_size(TALL)
    goto(page, server.url, "designer")
    canvas(page)
    page.get_by_text("Open a sample, a YAML file").click()
    click_until(page, page.get_by_role("button", name="Blank"), page.get_by_text("(from blank) · 0 nodes"))
    settle(page)
    fl = canvas(page)
    # Draw a 3-node chain with the mouse: add, connect, move; add a stray node and delete it.
    create_node(page, fl, "A", 80, 200)
    create_node(page, fl, "R", 250, 200)
    create_node(page, fl, "B", 420, 200)
    connect(page, fl, "A", "R")
    connect(page, fl, "R", "B")
    before = node(fl, "B").bounding_box()
    move(page, fl, "B", 0, 80)
    after = node(fl, "B").bounding_box()
    assert after["y"] - before["y"] > 60  # the move stuck after Python redrew the canvas
    create_node(page, fl, "X", 250, 420)
    delete_node(page, fl, "X")
    caption(page, "3 nodes · 2 links · 0 requests")
    set_role(page, "A", "end")
    set_role(page, "B", "end")
    click_until(page, page.get_by_role("button", name="💾 Save"),
                page.get_by_test_id("stToast").filter(has_text="Saved new-network (version 1)"))
    # Ask for pairs: the plan (route, feasibility) shows before anything runs.
    nav(page, "Requests & QoS")
    form = page.get_by_test_id("stForm").first
    form.locator('input[aria-label="Name"]').fill("ab")
    click_until(page, form.get_by_role("button", name="Add request"),
                page.get_by_text("All 1 request(s) can meet their fidelity targets."))
    # The planned circuit on the map (the plan table itself is drawn on a canvas, not in the DOM).
    expect(page.get_by_text(re.compile(r"VC ab · F=\d\.\d{3}")).first).to_be_visible()
    page.set_viewport_size(VIEWPORT)
    shot(page, SCREENSHOTS / "requests.png")
    # Download the YAML and check it round-trips with the engine's loader.
    nav(page, "Designer")
    canvas(page)
    shot(page, SCREENSHOTS / "designer.png")
    text = download_yaml(page, tmp_path)
    scenario = load_scenario(text)
    assert [(n.name, n.role.value) for n in scenario.topology.nodes] == [("A", "end"), ("R", "repeater"),
                                                                          ("B", "end")]
    assert {(lk.a, lk.b) for lk in scenario.topology.links} == {("A", "R"), ("R", "B")}
    assert scenario.requests[0].src == "A" and scenario.requests[0].dst == "B"
    assert load_scenario(dump_scenario(scenario)) == scenario and dump_scenario(scenario) == text
    # Launch a run and watch the live map update until it is done.
    nav(page, "Run")
    page.locator('input[aria-label="Duration (s, simulated)"]').fill("60")
    click_until(page, page.get_by_role("button", name="🚀 Launch run"),
                page.get_by_test_id("stProgress").filter(has_text=re.compile("queued|running|done")))
    seen, final = live_steps(page, timeout_s=120)
    assert "✅ done" in final and "100%" in final, final
    assert len(seen) >= 2, f"the live map should have shown several steps while running, saw {seen}"
    # The fragment's last tick reruns the whole page once the run has ended: polling stops, Cancel goes.
    expect(page.get_by_role("button", name="⏹️ Cancel")).to_have_count(0, timeout=30_000)
    settle(page)
    shot(page, SCREENSHOTS / "run.png")
    # History lists it; the opened run is the newest.
    nav(page, "History")
    expect(page.get_by_test_id("stProgress").first).to_contain_text("Run 1 · new-network · ✅ done")
    shot(page, SCREENSHOTS / "history.png")
    nav(page, "Home", "QNP Studio")
    shot(page, SCREENSHOTS / "home.png")
    # A small QNN training in the background: the loss and accuracy curves fill in.
    nav(page, "QNN")
    form = page.get_by_test_id("stForm").first
    form.locator('input[aria-label="Samples"]').fill("60")
    form.locator('input[aria-label="Epochs"]').fill("12")
    choose(page, "Engine", "qiskit-reference")
    click_until(page, form.get_by_role("button", name="🚀 Launch training"), page.get_by_text("QNN run 2"))
    expect(page.get_by_test_id("stProgress").first).to_contain_text("✅ done", timeout=120_000)
    expect(page.get_by_role("button", name="⏹️ Cancel training")).to_have_count(0, timeout=30_000)
    settle(page)
    shot(page, SCREENSHOTS / "qnn.png")


BAD_YAML = """name: broken
nodes:
  - {name: A, role: end}
links:
  - {a: A, b: C}
"""


def test_bad_input_gives_clear_messages_and_loses_nothing(page: Page, server: Server, tmp_path: Path) -> None:
    page.set_viewport_size(TALL)
    goto(page, server.url, "designer")
    canvas(page)
    caption(page, "Editing chain-3 (from sample chain-3) · 3 nodes · 2 links · 1 requests")
    # An invalid upload: field-named errors, the current design stays.
    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD_YAML)
    page.get_by_text("Open a sample, a YAML file").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    settle(page)
    caption(page, "broken.yaml is not a valid scenario; your current design is unchanged.")
    caption(page, "links[0].b: unknown node 'C' (line 5)")
    caption(page, "Editing chain-3 (from sample chain-3) · 3 nodes · 2 links · 1 requests")
    # A negative length in the inspector: an inline message naming the field; undo brings it back.
    choose(page, "Selected element", "link R--B")
    form = page.get_by_test_id("stForm").first
    form.locator('input[aria-label="Length (km)"]').fill("-5")
    click_until(page, form.get_by_role("button", name="Apply"),
                page.get_by_text("links[1] (R–B) · length_km: must be greater than or equal to 0"))
    expect(page.get_by_role("button", name="💾 Save")).to_be_disabled()
    shot(page, SCREENSHOTS / "designer-error.png")
    click_until(page, page.get_by_role("button", name="↶ Undo"), page.get_by_role("button", name="💾 Save",
                                                                               disabled=False))
    expect(page.get_by_text("length_km: must be greater than or equal to 0")).to_have_count(0)
    # A request between unconnected nodes: said by field on Requests, and Run will not launch it.
    click_until(page, page.get_by_role("button", name="➕ End"), page.get_by_text("· 4 nodes · 2 links"))
    nav(page, "Requests & QoS")
    form = page.get_by_test_id("stForm").first
    form.locator('input[aria-label="Name"]').fill("lonely")
    choose(page, "To", "E1")
    click_until(page, form.get_by_role("button", name="Add request"), page.get_by_text("no path between 'A' and 'E1'"))
    nav(page, "Run")
    launch = page.get_by_role("button", name="🚀 Launch run")
    if not launch.is_visible():  # the launch panel is collapsed while a run is being watched
        page.get_by_test_id("stExpander").first.click()
    expect(page.get_by_role("button", name="🚀 Launch run")).to_be_disabled()
    caption(page, "no path between 'A' and 'E1'")
    # A run that fails in its worker: the failure and its reason show, no traceback.
    engine = create_db_engine(sqlite_url(server.db))
    failed = submit_entanglement(engine, "name: broken\nnodes: []\n")
    goto(page, server.url, f"run?run={failed.id}")
    expect(page.get_by_text(f"Run {failed.id} failed.")).to_be_visible(timeout=60_000)
    caption(page, "at least one node is required")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    engine.dispose()
