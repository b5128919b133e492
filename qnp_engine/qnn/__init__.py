"""Quantum neural networks on CUDA-Q and Qiskit Machine Learning, optionally distributed over a QNP network.

Layer: qnn (above sim; only cli and storage import it). Public names:

- ``QnnConfig`` / ``QnnConfigError`` / ``parse_config`` / ``load_config``: the run configuration
- ``train(config, on_epoch=None, should_stop=None) -> QnnResult``: one training run
- ``effective_dimension_curve``: normalised effective dimension, quantum vs classical (plot data)
"""

from qnp_engine.qnn.config import QnnConfig, QnnConfigError, load_config, parse_config
from qnp_engine.qnn.effective_dimension import effective_dimension_curve
from qnp_engine.qnn.train import QnnResult, train

__all__ = ["QnnConfig", "QnnConfigError", "QnnResult", "effective_dimension_curve", "load_config", "parse_config",
           "train"]
