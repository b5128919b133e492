"""Model assembly (layer: qnn): dataset, circuit, read-out, objective and engine from a configuration."""

from __future__ import annotations

from qnp_engine.model.errors import FieldError
from qnp_engine.qnn.circuit import TWO_QUBIT, Circuit, ReadoutSpec, build_circuit, readout_spec
from qnp_engine.qnn.config import EngineName, QnnConfig, QnnConfigError
from qnp_engine.qnn.datasets import Data, load_dataset
from qnp_engine.qnn.engine_base import QnnEngine
from qnp_engine.qnn.objective import Objective


def make_engine(cfg: QnnConfig, circuit: Circuit, readout: ReadoutSpec) -> QnnEngine:
    try:
        if cfg.engine is EngineName.CUDAQ:
            from qnp_engine.qnn.cudaq_engine import CudaqEngine

            target = cfg.target.value if cfg.target is not None else None
            return CudaqEngine(circuit, readout, target=target, shots=cfg.shots, seed=cfg.seed)
        from qnp_engine.qnn.qiskit_engine import QiskitEngine

        return QiskitEngine(circuit, readout, reference=cfg.engine is EngineName.QISKIT_REFERENCE,
                            gradient=cfg.qiskit_gradient, shots=cfg.shots, seed=cfg.seed)
    except ValueError as exc:
        field_name, sep, msg = str(exc).partition(": ")
        raise QnnConfigError([FieldError(field_name if sep else "engine", msg if sep else str(exc))]) from None


def circuit_summary(circuit: Circuit, remote: dict | None = None) -> dict:
    return {"qubits": circuit.num_qubits, "data_qubits": circuit.data_qubits, "weights": circuit.num_weights,
            "inputs": circuit.num_inputs, "gates": len(circuit.gates),
            "two_qubit_gates": sum(g.op in TWO_QUBIT for g in circuit.gates),
            "remote_gates": sum((remote or {}).values())}


def prepare(cfg: QnnConfig) -> tuple[Data, Circuit, ReadoutSpec, Objective]:
    """Dataset, monolithic circuit, read-out and objective of a configuration."""
    data = load_dataset(cfg)
    if data.num_features > cfg.qubits:
        raise QnnConfigError([FieldError("qubits", f"dataset {cfg.dataset.value} has {data.num_features} features; "
                                         "the feature map needs one qubit per feature")])
    circuit = build_circuit(cfg, data.num_features)
    try:
        readout = readout_spec(cfg, data.num_classes)
    except ValueError as exc:
        name, _, msg = str(exc).partition(": ")
        raise QnnConfigError([FieldError(name, msg)]) from None
    return data, circuit, readout, Objective(cfg.resolved_task, cfg.readout, readout.num_outputs)
