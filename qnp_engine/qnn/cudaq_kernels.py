"""The QNN's CUDA-Q kernel (layer: qnn): one JIT-compiled interpreter for every model circuit.

``@cudaq.kernel`` reads its source, so the kernel lives in this .py file. The circuit arrives as
one ``list[float]`` program ``[n, m, op_0, a_0, b_0, angle_0, op_1, ...]`` (n qubits, m gates):
CUDA-Q converts a float list with one ``tolist()``, while ``list[int]`` and extra arguments are
cast element by element in Python, which costs about three times the simulation of a small circuit
(measured: 0.22 ms vs 0.62 ms per 4-qubit, 32-gate observe). Two kernels serve every model, so each
is compiled once: a lean one with gates only (CUDA-Q clones the kernel's module on every launch, so
a smaller kernel launches faster) and one with the noise channels for density-matrix-cpu.
"""

from __future__ import annotations

import warnings

import numpy as np

with warnings.catch_warnings():
    # cudaq 0.16 warns on import about its preview module and future primitive changes.
    warnings.simplefilter("ignore")
    import cudaq

# Op codes of the program (must match ``OPCODES`` users in cudaq_engine.py).
H, X, RX, RY, RZ, P, CX, CZ, DEPOL, RESET, NOISE_CX, NOISE_CZ = range(12)


class ResetChannel(cudaq.KrausChannel):
    """Deterministic reset to |0>: K0 = |0><0|, K1 = |0><1| (``reset`` on a density matrix collapses)."""

    num_parameters = 0
    num_targets = 1

    def __init__(self, params: list[float]):
        cudaq.KrausChannel.__init__(self)
        self.append(cudaq.KrausOperator(np.array([[1, 0], [0, 0]], dtype=np.complex128)))
        self.append(cudaq.KrausOperator(np.array([[0, 1], [0, 0]], dtype=np.complex128)))


@cudaq.kernel
def qnn_unitary(prog: list[float]):
    """Gates only, for the state-vector targets."""
    q = cudaq.qvector(int(prog[0]))
    m = int(prog[1])
    for k in range(m):
        op = int(prog[2 + 4 * k])
        a = int(prog[3 + 4 * k])
        t = prog[5 + 4 * k]
        if op == 3:
            ry(t, q[a])  # noqa: F821 (CUDA-Q builtins inside kernels)
        elif op == 6:
            x.ctrl(q[a], q[int(prog[4 + 4 * k])])  # noqa: F821
        elif op == 4:
            rz(t, q[a])  # noqa: F821
        elif op == 0:
            h(q[a])  # noqa: F821
        elif op == 5:
            r1(t, q[a])  # noqa: F821 (Qiskit's P gate)
        elif op == 2:
            rx(t, q[a])  # noqa: F821
        elif op == 7:
            z.ctrl(q[a], q[int(prog[4 + 4 * k])])  # noqa: F821
        elif op == 1:
            x(q[a])  # noqa: F821


@cudaq.kernel
def qnn_noisy(prog: list[float]):
    """Gates and noise channels, for density-matrix-cpu."""
    q = cudaq.qvector(int(prog[0]))
    m = int(prog[1])
    for k in range(m):
        op = int(prog[2 + 4 * k])
        a = int(prog[3 + 4 * k])
        b = int(prog[4 + 4 * k])
        t = prog[5 + 4 * k]
        if op == 0:
            h(q[a])  # noqa: F821 (CUDA-Q builtins inside kernels)
        elif op == 1:
            x(q[a])  # noqa: F821
        elif op == 2:
            rx(t, q[a])  # noqa: F821
        elif op == 3:
            ry(t, q[a])  # noqa: F821
        elif op == 4:
            rz(t, q[a])  # noqa: F821
        elif op == 5:
            r1(t, q[a])  # noqa: F821 (Qiskit's P gate)
        elif op == 6:
            x.ctrl(q[a], q[b])  # noqa: F821
        elif op == 7:
            z.ctrl(q[a], q[b])  # noqa: F821
        elif op == 8:
            cudaq.apply_noise(cudaq.DepolarizationChannel, t, q[a])
        elif op == 9:
            cudaq.apply_noise(ResetChannel, q[a])
        elif op == 10:
            # Pauli2 order: IX IY IZ XI XX XY XZ YI YX YY YZ ZI ZX ZY ZZ (first letter on q[a]).
            # Teleported CX: Z on the control (ZI), X on the target (IX) or both (ZX).
            cudaq.apply_noise(cudaq.Pauli2, t, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t, t, 0.0, 0.0,
                              q[a], q[b])
        elif op == 11:
            # Teleported CZ: Z on the control (ZI), Z on the target (IZ) or both (ZZ).
            cudaq.apply_noise(cudaq.Pauli2, 0.0, 0.0, t, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t, 0.0, 0.0, t,
                              q[a], q[b])
