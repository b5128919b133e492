"""Demo mode: open a sample and start a live run of it in one click.

UI layer. The demo drops the requests' pair counts so the circuits keep delivering for the sample's
whole simulated duration (a few seconds to half a minute of wall time on a laptop), which is what
makes the live fidelity map worth watching.
"""

from __future__ import annotations

import copy

import streamlit as st

from pages.ui import session
from pages.ui.draft import Draft, draft_from_yaml, error_lines
from pages.ui.launch import LaunchSettings, launch
from pages.ui.services import services
from qnp_engine.model import ScenarioError


def demo_draft(sample: str) -> Draft:
    draft = draft_from_yaml(session.sample_yaml(sample))
    out = copy.deepcopy(draft)
    for req in out.get("requests") or []:
        req["pairs"] = None
    return out


def start_demo(sample: str) -> bool:
    """Load ``sample`` into the designer and launch it; False (after an on-page message) if that failed."""
    svc = services()
    if svc is None:
        return False
    draft = demo_draft(sample)
    sim = draft.get("simulation") or {}
    settings = LaunchSettings(engine="closed-form", seed=int(sim.get("seed") or 1),
                              duration_s=float(sim.get("max_time_s") or 10.0), label=f"demo {sample}")
    try:
        run_id = launch(svc, draft, settings)
    except ScenarioError as exc:
        st.error("The demo could not start:\n" + "\n".join(f"- {x}" for x in error_lines(draft, exc.errors)))
        return False
    session.set_draft(draft, source=f"demo {sample}", remount=True)
    session.set_active_run(run_id)
    return True
