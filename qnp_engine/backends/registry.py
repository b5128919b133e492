"""Backend by name, importing optional engines (CUDA-Q, Qiskit-Aer) only when asked for."""

from __future__ import annotations

from importlib import import_module

from qnp_engine.backends.base import BackendUnavailable, StateBackend

# name -> (module, class, pip extra that provides it)
_BACKENDS: dict[str, tuple[str, str, str]] = {
    "closed-form": ("qnp_engine.backends.closed_form", "ClosedFormBackend", ""),
    "cudaq": ("qnp_engine.backends.cudaq_backend", "CudaqBackend", "cudaq"),
    "qiskit": ("qnp_engine.backends.qiskit_backend", "QiskitBackend", "qiskit"),
}


def available_backends() -> list[str]:
    return list(_BACKENDS)


def make_backend(name: str, **options) -> StateBackend:
    """Instantiate a backend; raises ``BackendUnavailable`` with the install command if missing."""
    try:
        module_name, cls_name, extra = _BACKENDS[name]
    except KeyError:
        raise BackendUnavailable(f"unknown engine {name!r}; choose one of {', '.join(_BACKENDS)}") from None
    try:
        module = import_module(module_name)
    except ImportError as exc:
        hint = f" (pip install 'qnp-studio[{extra}]')" if extra else ""
        raise BackendUnavailable(f"engine {name!r} is not available here: {exc}{hint}") from None
    return getattr(module, cls_name)(**options)
