"""Scenario texts for the storage tests (``from tests.storage.storage_testkit import ...``)."""

from __future__ import annotations


def chain_yaml(*, pairs: int = 1000, max_time_s: float = 10.0, seed: int = 1, name: str = "chain-3") -> str:
    """Two abstract links through one repeater; ``max_time_s`` sets how long the run takes (~0.7 s per sim s)."""
    return f"""\
name: {name}
defaults:
  link: {{model: abstract, success_probability: 0.1, attempt_time_s: 1.0e-5, fidelity: 0.95, length_km: 10}}
  node: {{memory: {{qubits_per_link: 1, t1_s: .inf, t2_s: .inf}}}}
nodes:
  - {{name: A, role: end, x: 0, y: 0}}
  - {{name: R, role: repeater, x: 1, y: 0}}
  - {{name: B, role: end, x: 2, y: 0}}
links:
  - {{a: A, b: R}}
  - {{a: R, b: B, length_km: 15, fidelity: 0.9}}
requests:
  - {{name: ab, src: A, dst: B, qos: measure_directly, pairs: {pairs}}}
simulation: {{seed: {seed}, max_time_s: {max_time_s}}}
"""


# A run of a few hundred ms; long runs keep a worker busy for a kill or a cancel (pairs never run out).
SHORT_YAML = chain_yaml(pairs=10**7, max_time_s=0.3)
LONG_YAML = chain_yaml(pairs=10**8, max_time_s=60.0)
