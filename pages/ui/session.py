"""Typed accessors for ``st.session_state``: the one place that names the keys.

UI layer. The working draft (see ``draft.py``) is shared by every page: the designer edits the
topology, the Requests page its requests and settings, the Run page launches it.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit_flow.state import StreamlitFlowState

from pages.ui.draft import Draft, draft_from_yaml, push_undo, validate
from pages.ui.flow_adapter import CanvasView, flow_from_draft, push_of
from qnp_engine.model import dump_scenario

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_topologies"
DEFAULT_SAMPLE = "chain-3"

DRAFT = "draft"
DRAFT_SOURCE = "draft_source"
UNDO = "draft_undo"
FLOW_STATE = "flow_state"
FLOW_VIEW = "flow_view"
FLOW_CONSUMED = "flow_consumed_ts"
FLOW_MOUNT = "flow_mount"
FLOW_ALIASES = "flow_aliases"
FLOW_FIT = "flow_fit"
FLOW_SEQ = "flow_push_seq"
FLOW_VIEWS = "flow_views"
VIEWS_KEPT = 40  # pushed states remembered, to diff a late canvas answer against the push it was based on
EDITOR_VERSION = "editor_version"
INSPECT = "inspect_target"
VALIDATION = "validation_cache"
DRAFT_YAML = "draft_yaml_cache"
ACTIVE_RUN = "active_run_id"
DESIGNER_TAB = "designer_tab"  # the designer's open tab (its tabs are lazy: only the open one is built)
DESIGNER_OPENER = "designer_opener"  # whether the "open a sample / file / saved topology" bar is expanded
NOTICE = "notice"


def sample_names() -> list[str]:
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.yaml"))


def sample_yaml(name: str) -> str:
    return (SAMPLES_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def get_draft() -> Draft:
    if DRAFT not in st.session_state:
        st.session_state[DRAFT] = draft_from_yaml(sample_yaml(DEFAULT_SAMPLE))
        st.session_state[DRAFT_SOURCE] = f"sample {DEFAULT_SAMPLE}"
        st.session_state.setdefault(EDITOR_VERSION, 0)
    return st.session_state[DRAFT]


def draft_source() -> str:
    get_draft()
    return st.session_state.get(DRAFT_SOURCE, "")


def set_draft(new: Draft, *, source: str | None = None, undoable: bool = True, remount: bool = False) -> None:
    """Replace the draft: remembers the old one for undo and redraws the canvas and tables."""
    old = get_draft()
    if undoable:
        st.session_state[UNDO] = push_undo(st.session_state.get(UNDO, []), old)
    st.session_state[DRAFT] = new
    if source is not None:
        st.session_state[DRAFT_SOURCE] = source
    _redraw(remount=remount)


def can_undo() -> bool:
    return bool(st.session_state.get(UNDO))


def undo() -> bool:
    stack = st.session_state.get(UNDO) or []
    if not stack:
        return False
    st.session_state[DRAFT] = stack[-1]
    st.session_state[UNDO] = stack[:-1]
    _redraw()
    return True


def _redraw(remount: bool = False) -> None:
    st.session_state.pop(FLOW_STATE, None)
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    if remount:
        # A new component key remounts the canvas, which re-fits the view to a new network (app-notes §1.2.4).
        st.session_state[FLOW_MOUNT] = st.session_state.get(FLOW_MOUNT, 0) + 1
        st.session_state[FLOW_ALIASES] = {}
        st.session_state.pop(FLOW_VIEW, None)  # a new network gets a fresh pixel scale
        st.session_state[FLOW_FIT] = bool(get_draft().get("nodes"))


def editor_version() -> int:
    return st.session_state.get(EDITOR_VERSION, 0)


def flow_mount() -> int:
    return st.session_state.get(FLOW_MOUNT, 0)


def flow_fit() -> bool:
    """Fit the view on mount? Only when the canvas opens on nodes: React Flow fits once, when the first
    nodes appear, so a blank canvas with fitting on would zoom in on the first node the user adds."""
    return st.session_state.setdefault(FLOW_FIT, bool(get_draft().get("nodes")))


def flow_state() -> tuple[StreamlitFlowState, CanvasView]:
    """The state to hand the canvas; rebuilt (as a new numbered push) after every Python-side change."""
    if FLOW_STATE not in st.session_state:
        seq = st.session_state.get(FLOW_SEQ, 0) + 1
        state, view = flow_from_draft(get_draft(), st.session_state.get(INSPECT), st.session_state.get(FLOW_VIEW),
                                      push=seq)
        # Newer than anything the browser sent, even with a client clock ahead of ours: the component
        # only takes Python's state when its timestamp is not older than its own.
        state.timestamp = max(state.timestamp, int(st.session_state.get(FLOW_CONSUMED) or 0) + 1)
        views = dict(st.session_state.get(FLOW_VIEWS, {}))
        views[seq] = view
        st.session_state[FLOW_VIEWS] = {k: v for k, v in views.items() if k > seq - VIEWS_KEPT}
        st.session_state[FLOW_SEQ] = seq
        st.session_state[FLOW_STATE] = state
        st.session_state[FLOW_VIEW] = view
    return st.session_state[FLOW_STATE], st.session_state[FLOW_VIEW]


def base_view(state: StreamlitFlowState) -> CanvasView:
    """The pushed state a canvas answer was based on (the latest push when it cannot tell)."""
    views = st.session_state.get(FLOW_VIEWS, {})
    push = push_of(state)
    return views.get(push) if push in views else st.session_state[FLOW_VIEW]


def flow_aliases() -> dict[str, str]:
    """Canvas ids of nodes created on the canvas -> the names they were given (see ``apply_flow``)."""
    return st.session_state.setdefault(FLOW_ALIASES, {})


def is_new_canvas_event(state: StreamlitFlowState) -> bool:
    """The component keeps returning its last value on every rerun; act on each value once."""
    if state.timestamp == st.session_state.get(FLOW_CONSUMED):
        return False
    st.session_state[FLOW_CONSUMED] = state.timestamp
    return True


def validation():
    """(scenario or None, errors) for the current draft, cached by the draft's identity."""
    draft = get_draft()
    cached = st.session_state.get(VALIDATION)
    if cached is not None and cached[0] is draft:
        return cached[1]
    result = validate(draft)
    st.session_state[VALIDATION] = (draft, result)
    return result


def draft_yaml() -> str | None:
    """YAML of the current draft (None while it is invalid), written once per draft.

    Handed to the download button as text, not as a callable: a deferred download asks the server for the
    file after the click, and a canvas-triggered rerun in between can leave that request unanswered, the
    button spinning (disabled) for the client's 3-minute timeout."""
    draft = get_draft()
    cached = st.session_state.get(DRAFT_YAML)
    if cached is not None and cached[0] is draft:
        return cached[1]
    scenario, _ = validation()
    text = None if scenario is None else dump_scenario(scenario)
    st.session_state[DRAFT_YAML] = (draft, text)
    return text


def inspect_target() -> str | None:
    return st.session_state.get(INSPECT)


def set_inspect_target(target: str | None) -> None:
    st.session_state[INSPECT] = target


def active_run() -> int | None:
    return st.session_state.get(ACTIVE_RUN)


def set_active_run(run_id: int | None) -> None:
    st.session_state[ACTIVE_RUN] = run_id


def notify(message: str) -> None:
    """A message to show after the next rerun (``st.rerun`` drops whatever was drawn)."""
    st.session_state[NOTICE] = (message, time.time())


def pop_notice() -> str | None:
    item = st.session_state.pop(NOTICE, None)
    return item[0] if item else None
