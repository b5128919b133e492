"""The Qiskit backend shows and exports the circuit of every operation."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import qasm2

from tests.engines.engine_helpers import make_engine


@pytest.fixture(scope="module")
def qiskit():
    return make_engine("qiskit")


def gate_names(circuit) -> list[str]:
    return [inst.operation.name for inst in circuit.data]


def test_circuit_of_every_operation(qiskit):
    s1, s2 = qiskit.werner(0.9), qiskit.werner(0.8, 1)
    cases = {
        "create_bell_diagonal": ((0.7, 0.1, 0.1, 0.1),),
        "create_density_matrix": (np.eye(4) / 4,),
        "decohere": (s1, 1, 0.1, 0.02, 0.01),
        "swap": (s1, 1, s2, 0),
        "measure": (s1, ("X", "Y")),
        "fidelity": (s1,),
    }
    expected = {
        "create_bell_diagonal": ["h", "cx", "pauli_channel"],
        "create_density_matrix": ["load_density_matrix"],
        "decohere": ["load_density_matrix", "amplitude_damping", "phase_flip", "depolarizing"],
        "swap": ["load_density_matrix", "cx", "h", "measure", "measure"],
        "measure": ["load_density_matrix", "h", "sdg", "h", "measure", "measure"],
        "fidelity": ["load_density_matrix", "cx", "h", "measure", "measure"],
    }
    for op, args in cases.items():
        oc = qiskit.circuit_for(op, *args)
        assert oc.operation == op
        assert gate_names(oc.circuit()) == expected[op], op
        # OpenQASM 2 parses back with the same instructions (the non-unitary ones as opaque gates).
        assert gate_names(qasm2.loads(oc.qasm(2))) == expected[op], op
        text3 = oc.qasm(3)
        assert text3.startswith("OPENQASM 3.0;")
        assert f"// QNP Studio operation: {op}" in text3


def test_swap_circuit_wires_the_measured_qubits(qiskit):
    oc = qiskit.circuit_for("swap", qiskit.werner(0.9), 0, qiskit.werner(0.9), 1)
    text = oc.qasm(3)
    assert "cx left[0], right[1];" in text
    assert "h left[0];" in text
    assert oc.num_qubits == 4 and oc.measured == (0, 3)


def test_channel_parameters_are_exported(qiskit):
    text = qiskit.circuit_for("decohere", qiskit.werner(0.9), 0, 0.125, 0.0, 0.25).qasm(3)
    assert "amplitude_damping(0.125) pair[0];" in text
    assert "depolarizing(0.25) pair[0];" in text
    assert "phase_flip" not in text.split("qubit[2]")[1]  # a zero-parameter channel is left out
    assert "// non-unitary, opaque here: amplitude_damping(gamma): Kraus" in text


def test_last_circuit_is_what_ran(qiskit):
    state = qiskit.werner(0.9)
    qiskit.measure(state, ("Z", "X"), 0.3)
    assert qiskit.last_circuit.operation == "measure"
    assert gate_names(qiskit.last_circuit.circuit())[1:3] == ["h", "measure"]
    aer = qiskit.last_circuit.aer_circuit()
    assert {"set_density_matrix", "save_density_matrix"} <= set(gate_names(aer))


def test_errors_name_the_problem(qiskit):
    with pytest.raises(ValueError, match="operation: unknown 'teleport'"):
        qiskit.circuit_for("teleport")
    with pytest.raises(ValueError, match="OpenQASM version must be 2 or 3"):
        qiskit.circuit_for("fidelity", qiskit.werner(0.9)).qasm(4)
    with pytest.raises(ValueError, match="basis must be one of"):
        qiskit.measure(qiskit.werner(0.9), ("Q", "Z"), 0.1)
