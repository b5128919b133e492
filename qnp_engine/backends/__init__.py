"""Quantum-state backends behind one interface (``StateBackend``)."""

from qnp_engine.backends.base import BackendUnavailable, StateBackend
from qnp_engine.backends.registry import available_backends, make_backend

__all__ = ["BackendUnavailable", "StateBackend", "available_backends", "make_backend"]
