"""The QNN's CUDA-Q kernels (layer: qnn): JIT-compiled interpreters for every model circuit.

``@cudaq.kernel`` reads its source, so the kernels live in this .py file. A circuit arrives as one
``list[float]`` program ``[n, m, op_0, a_0, b_0, t0_0, t1_0, t2_0, op_1, ...]`` (n qubits, m rows
of six numbers). Why this shape (measured on this machine, see cudaq_engine.py):

- CUDA-Q converts a float list with one ``tolist()``, while ``list[int]`` or extra arguments are
  cast element by element in Python (0.62 ms vs 0.22 ms per 4-qubit, 32-gate observe);
- on ``qpp-cpu`` every applied gate costs several microseconds, so the engine fuses each run of
  single-qubit gates into one ``u3`` (Qiskit's U gate) computed in numpy: a program has only u3,
  cx, cz and (density matrix only) noise channels;
- one kernel per family is compiled once; the unitary one has no channel code (CUDA-Q clones the
  kernel's module per launch, so a smaller kernel launches faster).
"""

from __future__ import annotations

import warnings

import numpy as np

with warnings.catch_warnings():
    # cudaq 0.16 warns on import about its preview module and future primitive changes.
    warnings.simplefilter("ignore")
    import cudaq

# Op codes of a program row (cudaq_engine.py writes them).
U3, CX, CZ, DEPOL, RESET, NOISE_CX, NOISE_CZ = range(7)
ROW = 6  # numbers per program row: op, a, b, t0, t1, t2


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
        i = 2 + 6 * k
        op = int(prog[i])
        if op == 0:
            u3(prog[i + 3], prog[i + 4], prog[i + 5], q[int(prog[i + 1])])  # noqa: F821 (CUDA-Q builtins)
        elif op == 1:
            x.ctrl(q[int(prog[i + 1])], q[int(prog[i + 2])])  # noqa: F821
        else:
            z.ctrl(q[int(prog[i + 1])], q[int(prog[i + 2])])  # noqa: F821


@cudaq.kernel
def qnn_noisy(prog: list[float]):
    """Gates and noise channels, for density-matrix-cpu."""
    q = cudaq.qvector(int(prog[0]))
    m = int(prog[1])
    for k in range(m):
        i = 2 + 6 * k
        op = int(prog[i])
        a = int(prog[i + 1])
        b = int(prog[i + 2])
        t = prog[i + 3]
        if op == 0:
            u3(t, prog[i + 4], prog[i + 5], q[a])  # noqa: F821
        elif op == 1:
            x.ctrl(q[a], q[b])  # noqa: F821
        elif op == 2:
            z.ctrl(q[a], q[b])  # noqa: F821
        elif op == 3:
            cudaq.apply_noise(cudaq.DepolarizationChannel, t, q[a])
        elif op == 4:
            cudaq.apply_noise(ResetChannel, q[a])
        elif op == 5:
            # Pauli2 order: IX IY IZ XI XX XY XZ YI YX YY YZ ZI ZX ZY ZZ (first letter on q[a]).
            # Teleported CX: Z on the control (ZI), X on the target (IX) or both (ZX).
            cudaq.apply_noise(cudaq.Pauli2, t, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t, t, 0.0, 0.0,
                              q[a], q[b])
        elif op == 6:
            # Teleported CZ: Z on the control (ZI), Z on the target (IZ) or both (ZZ).
            cudaq.apply_noise(cudaq.Pauli2, 0.0, 0.0, t, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t, 0.0, 0.0, t,
                              q[a], q[b])
