"""CUDA-Q engine (layer: qnn): the model as one parameterised kernel, ``cudaq.observe`` batched.

Every (input, weight-set) pair is one program for the interpreter kernels in ``cudaq_kernels``
(single-qubit runs fused into u3 gates, ``fusion.py``); a forward pass or a whole parameter-shift
Jacobian is one batched observe over all programs, with every read-out Z-string as one term of a
single spin operator. Targets: ``qpp-cpu`` (state vector), ``density-matrix-cpu`` (exact noise),
``nvidia`` (GPU state vector).

Batching: ``cudaq.observe`` broadcast (``launch="public"``) spends most of a small circuit's time
in Python, re-checking every list element and cloning the kernel's module per launch. The default
``launch="fast"`` does what the broadcast does (one execution context, one observe policy,
``launch_observe`` per argument set) but prepares the kernel module once and passes each program
as a ready float list; about 2x faster per circuit on this machine. It uses cudaq 0.16 runtime
internals, so it falls back to the public call when they are missing, and a test checks the two
agree.
"""

from __future__ import annotations

import numpy as np

from qnp_engine.qnn.circuit import CHANNELS, Circuit, ReadoutSpec
from qnp_engine.qnn.engine_base import ZStringEngine
from qnp_engine.qnn.fusion import fuse, row_parameters

OPCODES = {"u3": 0, "cx": 1, "cz": 2, "depol": 3, "reset": 4, "noise_cx": 5, "noise_cz": 6}  # see cudaq_kernels
STATEVECTOR_TARGETS = ("qpp-cpu", "nvidia")


class EngineUnavailable(RuntimeError):
    """The engine or target cannot run here (package missing, no GPU)."""


def _kernels():
    try:
        from qnp_engine.qnn import cudaq_kernels
    except ImportError as exc:
        raise EngineUnavailable(f"engine cudaq is not available here: {exc} (pip install 'qnp-studio[cudaq]')"
                                ) from None
    return cudaq_kernels


def default_target(noisy: bool) -> str:
    """density-matrix-cpu for noise; else nvidia when a GPU is visible, else qpp-cpu."""
    if noisy:
        return "density-matrix-cpu"
    return "nvidia" if _kernels().cudaq.num_available_gpus() > 0 else "qpp-cpu"


class CudaqEngine(ZStringEngine):
    name = "cudaq"

    def __init__(self, circuit: Circuit, readout: ReadoutSpec, target: str | None = None, shots: int | None = None,
                 seed: int = 1, launch: str = "fast"):
        super().__init__(circuit, readout, shots, seed)
        self._k = _kernels()
        cudaq = self._k.cudaq
        self._target = target or default_target(circuit.is_noisy)
        if circuit.is_noisy and self._target in STATEVECTOR_TARGETS:
            raise ValueError(f"target: {self._target} is a state-vector simulator; noisy Bell pairs need "
                             "density-matrix-cpu")
        if self._target == "nvidia" and cudaq.num_available_gpus() == 0:
            raise EngineUnavailable("target nvidia needs a GPU; none is visible here (use qpp-cpu)")
        self._activate()
        if shots is not None:
            cudaq.set_random_seed(seed)
        self._noise = None
        if self._target == "density-matrix-cpu":
            # A noise model must be passed for apply_noise to act (an absent one drops the noise).
            self._noise = cudaq.NoiseModel()
            self._noise.register_channel(self._k.ResetChannel)
        self._terms = []
        for qubits in readout.zstrings:
            term = cudaq.spin.z(qubits[0])
            for q in qubits[1:]:
                term = term * cudaq.spin.z(q)
            self._terms.append(term)
        hamiltonian = self._terms[0]
        for t in self._terms[1:]:
            hamiltonian = hamiltonian + t
        self._hamiltonian = hamiltonian
        self._rows = fuse(circuit)
        width = self._k.ROW
        template = np.zeros(2 + width * len(self._rows))
        template[:2] = circuit.num_qubits, len(self._rows)
        for r, row in enumerate(self._rows):
            b = row.qubits[1] if len(row.qubits) > 1 else 0
            template[2 + width * r: 5 + width * r] = (OPCODES[row.op], row.qubits[0], b)
        self._template = template
        has_channels = any(g.op in CHANNELS for g in circuit.gates)
        self._kernel = self._k.qnn_noisy if has_channels else self._k.qnn_unitary
        self.launch = launch

    @property
    def target(self) -> str:
        return self._target

    def _activate(self) -> None:
        # The target is process-global in CUDA-Q; re-select it if another engine changed it.
        cudaq = self._k.cudaq
        if cudaq.get_target().name != self._target:
            if self._target == "nvidia":  # fp64: exact to rounding, like the CPU targets and Aer
                cudaq.set_target("nvidia", option="fp64")
            else:
                cudaq.set_target(self._target)

    def programs(self, angles: np.ndarray) -> np.ndarray:
        """One kernel program per row of gate angles (fused: see fusion.py)."""
        params = row_parameters(self.circuit, self._rows, angles)  # (S, rows, 3)
        body = np.tile(self._template[2:].reshape(len(self._rows), self._k.ROW), (angles.shape[0], 1, 1))
        body[:, :, 3:6] = params
        head = np.broadcast_to(self._template[:2], (angles.shape[0], 2))
        return np.concatenate([head, body.reshape(angles.shape[0], -1)], axis=1)

    def zstring_values(self, angles: np.ndarray) -> np.ndarray:
        self._activate()
        progs = self.programs(np.asarray(angles, dtype=float))
        results = None
        if self.launch == "fast":
            results = _fast_observe(self._k.cudaq, self._kernel, self._hamiltonian, progs, self.shots, self._noise)
        if results is None:
            kw = {} if self._noise is None else {"noise_model": self._noise}
            if self.shots is not None:
                kw["shots_count"] = self.shots
            results = self._k.cudaq.observe(self._kernel, self._hamiltonian, progs, **kw)
        self.circuit_evaluations += len(progs)
        return np.array([[r.expectation(t) for t in self._terms] for r in results])


def _fast_observe(cudaq, kernel, hamiltonian, progs: np.ndarray, shots: int | None, noise) -> list | None:
    """``cudaq.observe`` broadcast over the rows of ``progs`` with one prepared module; None if unsupported."""
    try:
        from cudaq.mlir._mlir_libs._quakeDialects import cudaq_runtime as rt
    except ImportError:
        return None
    try:
        if noise is not None:
            rt.set_noise(noise)  # before the module is prepared: apply_noise resolves the model then
        op = hamiltonian.copy()
        op.canonicalize()
        ctx = rt.ExecutionContext("observe", shots or 0, 0)
        ctx.totalIterations = len(progs)
        ctx.setSpinOperator(op)
        ctx.kernelName = kernel.name
        policy = rt.ObservePolicy(ctx, kernel.name, op)
        _, module = kernel.prepare_call(progs[0])
        cache = kernel.compiledModuleCache()
        name = kernel.uniqName
        launch, observe = rt.marshal_and_launch_module, rt.launch_observe
    except (AttributeError, TypeError):
        if noise is not None:
            rt.unset_noise()
        return None
    try:
        out = []
        for i, row in enumerate(progs.tolist()):
            ctx.batchIteration = i
            out.append(observe(policy, ctx, lambda row=row: launch(name, module, row, cache=cache)))
    finally:
        if noise is not None:
            rt.unset_noise()
    return out
