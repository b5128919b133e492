"""AppTest: Requests & QoS (plan before running) and Run (launch in a worker, watch, fail, cancel)."""

from __future__ import annotations

import copy
import time
from pathlib import Path

from pages.ui import session
from pages.ui.draft import draft_from_yaml, new_node
from pages.ui.launch import LaunchSettings, launch
from pages.ui.services import Services
from storage.runs import get_run, list_runs


def chain() -> dict:
    return draft_from_yaml(Path("sample_topologies/chain-3.yaml").read_text())


def frame_with(at, column: str):
    """The first dataframe showing ``column`` (display-only frames carry no key in AppTest)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def messages(at) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.success, *at.info))


def test_requests_plan_shows_route_and_feasibility(open_page) -> None:
    at = open_page("pages/requests_qos.py")
    assert "All 1 request(s) can meet their fidelity targets" in messages(at)
    plan = frame_with(at, "route")
    row = plan.iloc[0]
    assert row["route"] == "A → R → B" and row["feasible"] == "✅ yes" and row["hops"] == 2
    assert 0.8 < row["link fidelity required"] < 0.95 and row["worst-case delivered fidelity"] >= 0.8
    # A target no route can meet: flagged before anything runs, with the control plane's reason.
    key = f"requests_table_{at.session_state[session.EDITOR_VERSION]}"
    at.session_state[key] = {"edited_rows": {0: {"min_fidelity": 0.99}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "Not feasible as set: ab" in messages(at)
    assert "cannot be met" in frame_with(at, "route").iloc[0]["why not"]


def test_requests_that_can_block_each_other_are_warned_before_running(open_page) -> None:
    at = open_page("pages/requests_qos.py")
    draft = chain()
    for node in draft["nodes"]:
        node.setdefault("memory", {})["qubits_per_link"] = 1
    draft["requests"] = [{"name": "ab", "src": "A", "dst": "B", "qos": "create_and_keep"},
                         {"name": "ba", "src": "B", "dst": "A", "qos": "create_and_keep"}]
    at.session_state[session.DRAFT] = draft
    at.run()
    text = messages(at)
    assert "These requests can stall for ever" in text
    assert "ab: can block at R: 2 circuits without a cutoff cross it over A-R and R-B" in text
    assert "(with ba); set cutoff_s or give A, B, R qubits_per_link >= 2" in text
    assert "can block at R" in frame_with(at, "route").iloc[1]["warnings"]


def test_request_between_unconnected_nodes_is_a_field_error(open_page) -> None:
    at = open_page("pages/requests_qos.py")
    draft = chain()
    draft["nodes"].append(new_node(draft, "Z", "end", x=5.0, y=5.0))
    draft["requests"].append({"name": "az", "src": "A", "dst": "Z", "qos": "measure_directly"})
    at.session_state[session.DRAFT] = draft
    at.run()
    assert "requests[1] (az)" in messages(at) and "no path between 'A' and 'Z'" in messages(at)
    assert at.session_state[session.DRAFT]["requests"][1]["dst"] == "Z"  # nothing lost
    assert not at.exception


def test_run_launches_a_worker_and_reaches_done(open_page, svc: Services) -> None:
    at = open_page("pages/run.py")
    assert "No runs yet" in messages(at)
    # Which build of the simulator new runs get (the suite runs the sources as they are: tests/conftest.py).
    assert "Simulator: pure Python (QNP_ENGINE_COMPILED=off)" in [c.value for c in at.caption]
    at.number_input(key="run_seed").set_value(7)
    at.button(key="launch").click().run()
    run_id = at.session_state[session.ACTIVE_RUN]
    run = get_run(svc.engine, run_id)
    assert (run.name, run.engine, run.seed) == ("chain-3", "closed-form", 7)
    svc.manager.wait(run_id, timeout_s=60)
    at.run()
    progress = at.get("progress")[0].proto.text
    assert f"Run {run_id}" in progress and "✅ done" in progress and "100%" in progress
    figures = frame_with(at, "pairs/s")
    assert figures.iloc[0]["request"] == "ab" and figures.iloc[0]["pairs"] == 1000
    assert 0.8 < figures.iloc[0]["fidelity"] < 1.0
    assert not at.exception and not at.error


def test_failing_and_cancelled_runs_show_clear_messages(open_page, svc: Services) -> None:
    bad = svc.manager.submit_entanglement("name: broken\nnodes: []\n")
    svc.manager.wait(bad.id, timeout_s=60)
    at = open_page("pages/run.py")
    at.session_state[session.ACTIVE_RUN] = bad.id
    at.run()
    text = messages(at)
    assert f"Run {bad.id} failed." in text and "nodes" in text and "at least one node" in text
    assert "Traceback" not in text
    # A long run, cancelled from the page: the worker stops after its current slice.
    long = draft_from_yaml(Path("sample_topologies/random-100.yaml").read_text())
    long = copy.deepcopy(long)
    for req in long["requests"]:
        req["pairs"] = None
    at.session_state[session.DRAFT] = long
    at.session_state[session.ACTIVE_RUN] = None
    at.run()
    at.number_input(key="run_dur").set_value(500.0)
    at.button(key="launch").click().run()
    run_id = at.session_state[session.ACTIVE_RUN]
    deadline = time.monotonic() + 60
    while get_run(svc.engine, run_id).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    at.button(key="live_cancel").click().run()
    final = svc.manager.wait(run_id, timeout_s=60)
    assert final.status == "cancelled"
    at.run()
    assert f"Run {run_id} was cancelled" in messages(at)
    assert [r.id for r in list_runs(svc.engine)] == [run_id, bad.id]



def test_run_map_is_drawn_from_the_plan_before_any_sample(open_page, svc: Services) -> None:
    """A queued run has no samples yet: its map is the scenario's network with the planned circuits, grey."""
    svc.manager.max_concurrent = 1  # one slot, held by a long run: the next one stays queued (no sample, ever)
    endless = copy.deepcopy(chain())
    endless["requests"][0]["pairs"] = None
    busy = launch(svc, endless, LaunchSettings("closed-form", 1, 500.0))
    waiting = launch(svc, draft_from_yaml(Path("sample_topologies/random-100.yaml").read_text()),
                     LaunchSettings("closed-form", 1, 1.0))
    at = open_page("pages/run.py")
    at.session_state[session.ACTIVE_RUN] = waiting
    at.run()
    run = get_run(svc.engine, at.session_state[session.ACTIVE_RUN])
    assert run.status == "queued" and run.last_step < 0
    spec = at.get("plotly_chart")[0].proto.spec
    assert "planned circuits, no samples yet" in spec and "· step " not in spec
    assert spec.count("no pairs yet") >= 3  # the random-100 requests' planned circuits, grey until measured
    assert "⏳ queued" in at.get("progress")[0].proto.text and not at.exception
    for run_id in (run.id, busy):
        svc.manager.cancel(run_id)
    assert svc.manager.wait(busy, timeout_s=60).status == "cancelled"
