"""AppTest: History (list, open, compare, re-run, export buttons, delete) and the QNN page."""

from __future__ import annotations

from pathlib import Path

from pages.ui import session
from pages.ui.services import Services
from storage.runs import get_run, list_runs


def messages(at) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.success, *at.info, *at.caption))


def finished_runs(svc: Services) -> list[int]:
    text = Path("sample_topologies/chain-3.yaml").read_text()
    ids = [svc.manager.submit_entanglement(text, seed=seed).id for seed in (1, 2)]
    for run_id in ids:
        assert svc.manager.wait(run_id, timeout_s=90).status == "done"
    return ids


def test_history_lists_opens_compares_reruns_and_deletes(open_page, svc: Services) -> None:
    first, second = finished_runs(svc)
    at = open_page("pages/history.py")
    table = next(df.value for df in at.dataframe if "scenario" in df.value.columns)
    assert list(table["run"]) == [second, first] and set(table["seed"]) == {1, 2}
    assert all(table["pairs"] == 1000) and all(table["status"] == "✅ done")
    assert (table["mean fidelity"] > 0.8).all()
    # Open the newest run: final map, key figures, charts, export buttons.
    assert at.selectbox(key="history_open").value == second
    assert f"Run {second}" in at.get("progress")[0].proto.text
    downloads = {b.proto.label for b in at.get("download_button")}
    assert {"⬇️ Run record (JSON)", "⬇️ Samples (CSV)", "⬇️ Figures (HTML)"} <= downloads
    # Compare the two side by side: the final numbers and their difference.
    cmp = next(df.value for df in at.dataframe if "difference (b − a)" in df.value.columns)
    thr = cmp[cmp["quantity"] == "requests.ab.throughput_hz"].iloc[0]
    assert thr[f"run {second}"] > 0 and thr[f"run {first}"] > 0
    # Delete needs a confirmation tick.
    assert at.button(key="delete").disabled
    at.checkbox(key=f"sure_{second}").check().run()
    at.button(key="delete").click().run()
    assert [r.id for r in list_runs(svc.engine)] == [first]
    # Re-run with a new seed: a new run is queued and the Run page watches it.
    at.selectbox(key="history_open").set_value(first).run()
    at.number_input(key=f"new_seed_{first}").set_value(11)
    at.button(key="rerun_new").click().run()
    assert at.title[0].value == "▶️ Run"
    new_id = at.session_state[session.ACTIVE_RUN]
    rerun = get_run(svc.engine, new_id)
    assert rerun.seed == 11 and rerun.spec == get_run(svc.engine, first).spec
    assert svc.manager.wait(new_id, timeout_s=90).status == "done"


def test_history_is_empty_at_first(open_page) -> None:
    at = open_page("pages/history.py")
    assert "No runs yet" in messages(at)
    assert not at.exception


def test_qnn_form_validates_by_field(open_page, svc: Services) -> None:
    at = open_page("pages/qnn.py")
    assert at.title[0].value == "🧠 QNN" and not at.exception
    at.selectbox(key="qnn_dataset").set_value("ad_hoc")
    at.number_input(key="qnn_qubits").set_value(5)
    next(b for b in at.button if "Launch training" in b.label).click().run()
    errors = "\n".join(e.value for e in at.error)
    assert "**qubits**" in errors and "ad_hoc exists for 2 or 3 qubits only" in errors
    assert list_runs(svc.engine, kind="qnn") == []


def test_qnn_training_runs_in_a_worker_and_draws_curves(open_page, svc: Services) -> None:
    at = open_page("pages/qnn.py")
    at.number_input(key="qnn_samples").set_value(40)
    at.number_input(key="qnn_reps").set_value(1)
    at.number_input(key="qnn_epochs").set_value(4)
    at.selectbox(key="qnn_engine").set_value("qiskit-reference")
    next(b for b in at.button if "Launch training" in b.label).click().run()
    runs = list_runs(svc.engine, kind="qnn")
    assert len(runs) == 1 and runs[0].engine == "qiskit-reference" and runs[0].seed == 1
    assert svc.manager.wait(runs[0].id, timeout_s=120).status == "done"
    at.run()
    progress = at.get("progress")[0].proto.text
    assert f"QNN run {runs[0].id}" in progress and "✅ done" in progress
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"Training loss"' in spec for spec in charts) and any('"Accuracy"' in spec for spec in charts)
    assert not at.exception and not at.error
