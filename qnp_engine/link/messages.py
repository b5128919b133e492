"""Link-layer service messages (after the link-layer draft: CREATE, OK, ERR)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from qnp_engine.link.qubits import Qubit


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """Continuous generation for a purpose id (the QNP link label) until ``stop``."""

    purpose: int
    min_fidelity: float = 0.0
    weight: float = 1.0


class LinkOk(NamedTuple):
    """Delivered at both ends with the same sequence number and Bell index."""

    link: int
    purpose: int
    seq: int
    bell_index: int
    qubit: Qubit
    peer: str


class LinkErrCode(Enum):
    UNSUPPORTED = "unsupported"   # fidelity not reachable on this link
    NO_RESOURCES = "no_resources"


@dataclass(frozen=True, slots=True)
class LinkErr:
    link: int
    purpose: int
    code: LinkErrCode
    detail: str = ""
