"""Batched parameter-shift gradients for qiskit-machine-learning's QNNs (layer: qnn).

The library's ``ParamShift*Gradient`` sends one PUB per shifted parameter set (2 P N PUBs for a
backward pass), which is slow on Aer. These subclasses send one PUB per distinct circuit with all
shifted rows stacked, and give the same numbers. They skip the library's gate translation, so they
require what our circuits guarantee: each differentiated parameter is the whole angle of exactly one
rotation gate (rx, ry, rz, p), which makes the pi/2 shift exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.providers import Options
from qiskit.quantum_info.operators.base_operator import BaseOperator
from qiskit_machine_learning.gradients import (
    EstimatorGradientResult,
    ParamShiftEstimatorGradient,
    ParamShiftSamplerGradient,
    SamplerGradientResult,
)

_ROTATIONS = {"rx", "ry", "rz", "p"}


def check_shiftable(circuit: QuantumCircuit, parameters: Sequence[Parameter]) -> None:
    """Raise unless each parameter is the entire angle of exactly one rotation gate."""
    uses: dict[Parameter, int] = {}
    for inst in circuit.data:
        for value in inst.operation.params:
            for p in getattr(value, "parameters", ()):
                if p in parameters:
                    if inst.operation.name not in _ROTATIONS or value != p:
                        raise ValueError(f"{p} is not the plain angle of a rotation gate ({inst.operation.name})")
                    uses[p] = uses.get(p, 0) + 1
    bad = [str(p) for p in parameters if uses.get(p) != 1]
    if bad:
        raise ValueError(f"parameters used other than exactly once: {', '.join(bad)}")


def _shift_rows(circuit: QuantumCircuit, values: Sequence[float], parameters: Sequence[Parameter]) -> np.ndarray:
    """Rows [+pi/2 on each parameter ..., -pi/2 on each parameter ...] in the circuit's parameter order."""
    order = list(circuit.parameters)
    idx = [order.index(p) for p in parameters]
    base = np.asarray(values, dtype=float)
    offset = np.zeros((len(idx), len(order)))
    offset[np.arange(len(idx)), idx] = np.pi / 2
    return np.concatenate([base + offset, base - offset])


def _groups(circuits: Sequence[QuantumCircuit], extra: Sequence | None = None) -> dict[tuple, list[int]]:
    groups: dict[tuple, list[int]] = {}
    for i, c in enumerate(circuits):
        key = (id(c), id(extra[i]) if extra is not None else None)
        groups.setdefault(key, []).append(i)
    return groups


class BatchedParamShiftEstimatorGradient(ParamShiftEstimatorGradient):
    """``ParamShiftEstimatorGradient`` with one PUB per (circuit, observable)."""

    def _run(self, circuits: Sequence[QuantumCircuit], observables: Sequence[BaseOperator],
             parameter_values: Sequence[Sequence[float]] | np.ndarray, parameters: Sequence[Sequence[Parameter]],
             **options) -> EstimatorGradientResult:
        gradients: list[np.ndarray] = [np.zeros(0)] * len(circuits)
        for members in _groups(circuits, observables).values():
            circuit, observable = circuits[members[0]], observables[members[0]]
            rows = [_shift_rows(circuit, parameter_values[i], parameters[i]) for i in members]
            evs = np.asarray(self._estimator.run([(circuit, observable, np.concatenate(rows))]).result()[0].data.evs)
            start = 0
            for i, r in zip(members, rows, strict=True):
                half = len(r) // 2
                chunk = evs[start:start + len(r)]
                gradients[i] = (chunk[:half] - chunk[half:]) / 2
                start += len(r)
        metadata = [{"parameters": p} for p in parameters]
        return EstimatorGradientResult(gradients=gradients, metadata=metadata, options=Options(**options))


def _row_probabilities(meas, i: int) -> dict[int, float]:
    if hasattr(meas, "get_probabilities"):  # qiskit-ml's exact QMLSampler
        probs = meas.get_probabilities(i)
        return {int(k, 2): float(v) for k, v in probs.items()}
    counts = meas.get_counts(i)
    total = sum(counts.values())
    return {int(k, 2): v / total for k, v in counts.items()}


class BatchedParamShiftSamplerGradient(ParamShiftSamplerGradient):
    """``ParamShiftSamplerGradient`` with one PUB per circuit (exact or sampled probabilities)."""

    def _run(self, circuits: Sequence[QuantumCircuit], parameter_values: Sequence[Sequence[float]],
             parameters: Sequence[Sequence[Parameter]], **options) -> SamplerGradientResult:
        gradients: list[list[dict[int, float]]] = [[] for _ in circuits]
        for members in _groups(circuits).values():
            circuit = circuits[members[0]]
            rows = [_shift_rows(circuit, parameter_values[i], parameters[i]) for i in members]
            data = self._sampler.run([(circuit, np.concatenate(rows))]).result()[0].data
            meas = getattr(data, "meas", None) or next(iter(data.values()))
            start = 0
            for i, r in zip(members, rows, strict=True):
                half = len(r) // 2
                for j in range(half):
                    plus = _row_probabilities(meas, start + j)
                    minus = _row_probabilities(meas, start + half + j)
                    grad = {k: (plus.get(k, 0.0) - minus.get(k, 0.0)) / 2 for k in set(plus) | set(minus)}
                    gradients[i].append(grad)
                start += len(r)
        metadata = [{"parameters": p} for p in parameters]
        return SamplerGradientResult(gradients=gradients, metadata=metadata, options=Options(**options))
