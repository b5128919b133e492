"""Playwright helpers for the Streamlit pages and the React Flow canvas (an iframe component)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import FrameLocator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
FLOW_IFRAME = 'iframe[title="streamlit_flow.streamlit_flow"]'
# Assertions wait up to 20 s, not Playwright's 5 s: in CI the app server, its workers, chromium and the rest of
# the suite share two cores, and a first plotly chart (a lazily loaded 4 MB script) can take longer than 5 s.
expect.set_options(timeout=20_000)


@dataclass
class Server:
    url: str
    db: Path
    proc: subprocess.Popen


def settle(page: Page, timeout_ms: int = 30_000, quiet_ms: int = 600) -> None:
    """Wait until Streamlit is idle: no script run (status widget) for ``quiet_ms`` in a row.

    One quiet moment is not enough: the canvas answers every redraw from Python with its own value,
    which starts one more run a few hundred milliseconds later.
    """
    page.wait_for_function(
        """(quiet) => {
            const busy = !!document.querySelector('[data-testid="stStatusWidget"]');
            const now = performance.now();
            if (busy || window.__qnpQuietSince === undefined) { window.__qnpQuietSince = busy ? undefined : now; }
            return !busy && now - window.__qnpQuietSince >= quiet;
        }""", arg=quiet_ms, timeout=timeout_ms, polling=100)


def goto(page: Page, base: str, path: str = "") -> None:
    page.goto(f"{base}/{path}")
    expect(page.locator("h1").first).to_be_visible()
    settle(page)


def canvas(page: Page) -> FrameLocator:
    # Right after a remount (a new network) the old iframe lingers for a moment as a stale element.
    fl = page.locator(FLOW_IFRAME).filter(visible=True).last.content_frame
    expect(fl.locator(".react-flow__pane")).to_be_visible(timeout=30_000)
    return fl


def node(fl: FrameLocator, name: str):
    return fl.locator(f'.react-flow__node[data-id="{name}"]')


def edge(fl: FrameLocator, a: str, b: str):
    return fl.locator(f'[data-testid="rf__edge-{a}--{b}"]')


def create_node(page: Page, fl: FrameLocator, text: str, x: float, y: float) -> None:
    """Right-click the empty canvas at (x, y) (pane coordinates), create a node, wait until Python named it."""
    settle(page)
    for attempt in range(4):  # the iframe may be redrawn under the mouse by a late rerun: start over
        try:
            fl.locator(".react-flow__pane").click(button="right", position={"x": x, "y": y}, timeout=5_000)
            fl.get_by_text("Create New Node").click(timeout=4_000)
            fl.locator("textarea").fill(text, timeout=4_000)
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
            settle(page)
    fl.get_by_role("button", name="Create Node").click()
    expect(node(fl, text)).to_be_visible()
    settle(page)


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(*end, steps=5)
    page.mouse.up()


def connect(page: Page, fl: FrameLocator, a: str, b: str) -> None:
    """Drag from a's source handle to b's target handle (bounding boxes are already in page coordinates)."""
    drag(page, centre(node(fl, a).locator(".react-flow__handle.source")),
         centre(node(fl, b).locator(".react-flow__handle.target")))
    expect(edge(fl, a, b)).to_have_count(1)
    settle(page)


def move(page: Page, fl: FrameLocator, name: str, dx: float, dy: float) -> tuple[float, float]:
    x, y = centre(node(fl, name))  # the label, not a handle (a handle would start a connection)
    drag(page, (x, y), (x + dx, y + dy))
    settle(page)
    return x + dx, y + dy


def delete_node(page: Page, fl: FrameLocator, name: str) -> None:
    node(fl, name).click(button="right")
    fl.get_by_role("button", name=re.compile("Delete Node")).click()
    expect(node(fl, name)).to_have_count(0)
    settle(page)


def toast(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stToast").filter(has_text=text).first).to_be_visible()


def shot(page: Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def click_until(page: Page, button, shows, attempts: int = 3) -> None:
    """Click ``button`` until ``shows`` is visible: a click landing while another run (e.g. the canvas
    answering a redraw) is being merged can be dropped by Streamlit, so a lost click is retried."""
    for attempt in range(attempts):
        settle(page)
        button.click()
        try:
            expect(shows.first).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def nav(page: Page, title: str, heading: str | None = None) -> None:
    """Go to a page through the sidebar, keeping the Streamlit session (a reload would start a new one)."""
    for attempt in range(3):  # a click landing in the middle of a rerun can be dropped
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
        try:
            expect(page.locator("h1").first).to_contain_text(heading or title, timeout=10_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    settle(page)


def choose(page: Page, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (re-opened if a rerun closed the list)."""
    for attempt in range(attempts):
        settle(page)
        page.get_by_role("combobox", name=label).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            settle(page)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
