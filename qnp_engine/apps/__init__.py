"""Applications on top of delivered pairs: BBM92 quantum key distribution (``qkd.py``) and its parts.

Apps layer: imports only the layers below it and nothing web- or storage-related.
"""

from qnp_engine.apps.auth import AuthenticatedChannel, AuthenticationError
from qnp_engine.apps.keyrate import (
    QBER_THRESHOLD,
    asymptotic_key_fraction,
    binary_entropy,
    finite_size_key_length,
    predicted_key_rate_hz,
    werner_qber,
)
from qnp_engine.apps.qkd import QkdParams, QkdResult, run_bbm92

__all__ = [
    "QBER_THRESHOLD",
    "AuthenticatedChannel",
    "AuthenticationError",
    "QkdParams",
    "QkdResult",
    "asymptotic_key_fraction",
    "binary_entropy",
    "finite_size_key_length",
    "predicted_key_rate_hz",
    "run_bbm92",
    "werner_qber",
]
