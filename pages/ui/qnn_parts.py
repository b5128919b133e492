"""QNN page parts: the configuration form (validated by ``qnp_engine.qnn.config``) and the live curves.

UI layer. Training runs in a worker process (``storage.worker``, kind ``qnn``); its epochs arrive as
metric samples of entity ``qnn`` (``loss``, ``train_accuracy``, ``test_accuracy``) with step = epoch.
"""

from __future__ import annotations

import importlib

import streamlit as st

from pages.ui.figures import Series, timeseries_figure
from pages.ui.services import Services
from qnp_engine.model import FieldError
from storage.models import Run
from storage.samples import time_series

DATASETS = ["two_moons", "circles", "xor", "iris", "ad_hoc", "regression_sine"]
FEATURE_MAPS = ["angle", "zz"]
ANSATZE = ["real_amplitudes", "hardware_efficient"]
OPTIMIZERS = ["adam", "cobyla", "lbfgs"]
ENGINES = ["cudaq", "qiskit", "qiskit-reference"]


@st.cache_resource(show_spinner=False)
def training_available() -> str | None:
    """None when ``qnp_engine.qnn.train`` can be imported, else why not."""
    try:
        module = importlib.import_module("qnp_engine.qnn")
    except ImportError as exc:
        return str(exc)
    return None if hasattr(module, "train") else "qnp_engine.qnn has no train() yet"


def config_errors(data: dict) -> tuple[dict | None, list[FieldError]]:
    """The config as JSON-able data, or the field-named problems."""
    from qnp_engine.qnn.config import QnnConfigError, parse_config

    try:
        cfg = parse_config(data)
    except QnnConfigError as exc:
        return None, exc.errors
    return cfg.model_dump(mode="json", exclude_none=True), []


def config_form(svc: Services, *, can_launch: bool) -> int | None:
    with st.form("qnn_form", border=False):
        c1, c2, c3, c4 = st.columns(4)
        data = {
            "name": c1.text_input("Name", value="qnn", key="qnn_name"),
            "dataset": c1.selectbox("Dataset", DATASETS, key="qnn_dataset"),
            "samples": c1.number_input("Samples", value=200, step=10, key="qnn_samples"),
            "feature_map": c2.selectbox("Feature map", FEATURE_MAPS, key="qnn_fmap"),
            "ansatz": c2.selectbox("Ansatz", ANSATZE, key="qnn_ansatz"),
            "qubits": c2.number_input("Qubits", value=2, step=1, key="qnn_qubits"),
            "reps": c3.number_input("Depth (ansatz reps)", value=2, step=1, key="qnn_reps"),
            "optimizer": c3.selectbox("Optimiser", OPTIMIZERS, key="qnn_opt"),
            "learning_rate": c3.number_input("Learning rate", value=0.1, format="%.4g", key="qnn_lr"),
            "epochs": c4.number_input("Epochs", value=30, step=1, key="qnn_epochs"),
            "engine": c4.selectbox("Engine", ENGINES, key="qnn_engine"),
            "seed": c4.number_input("Seed", value=1, step=1, key="qnn_seed"),
        }
        submitted = st.form_submit_button("🚀 Launch training", type="primary")
    if not submitted:
        return None
    for k in ("samples", "qubits", "reps", "epochs", "seed"):
        data[k] = int(data[k])
    config, errors = config_errors(data)
    if config is None:
        lines = "\n".join(f"- **{e.path}**: {e.message}" if e.path else f"- {e.message}" for e in errors)
        st.error(f"Not launched; fix these settings:\n{lines}", icon="⚠️")
        return None
    if not can_launch:
        st.warning("These settings are valid, but QNN training is not available in this installation yet.", icon="ℹ️")
        return None
    run = svc.manager.submit_qnn(config)
    st.toast(f"QNN run {run.id} queued")
    return int(run.id)


def curves(svc: Services, run: Run) -> None:
    series = {m: time_series(svc.engine, run.id, "qnn", m) for m in ("loss", "train_accuracy", "test_accuracy")}
    left, right = st.columns(2)
    with left:
        loss = [Series("loss", [p.step for p in series["loss"]], [p.value for p in series["loss"]])]
        st.plotly_chart(timeseries_figure(loss, y_title="loss", title="Training loss", x_title="epoch",
                                          height=300), key="qnn_loss")
    with right:
        acc = [Series(label, [p.step for p in series[m]], [p.value for p in series[m]])
               for m, label in (("train_accuracy", "train"), ("test_accuracy", "test"))]
        st.plotly_chart(timeseries_figure(acc, y_title="accuracy (fraction correct)", title="Accuracy",
                                          x_title="epoch", height=300, y_range=(0.0, 1.05)), key="qnn_acc")
