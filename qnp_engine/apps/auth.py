"""Wegman-Carter authentication of the QKD classical channel (information-theoretic).

Apps layer. Tag = (poly_r(message) + s_i) mod p with p = 2^127 - 1: the polynomial hash key r is
fixed per session, the mask s_i is fresh pre-shared key for every tag (one-time pad), so a forger's
success probability is at most (blocks + 1)/p per tag whatever their computing power. Both parties
start from the same pre-shared key and consume it in lockstep; the QKD pipeline later refills it from
fresh key (see ``qkd.py``).

Messages are authenticated in batches: each side keeps the bytes it sent since the last checkpoint and
the receiver checks the tag against the bytes it received (delayed authentication; no key output is
used before the final checkpoint passes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PRIME = (1 << 127) - 1
TAG_BYTES = 16
KEY_BYTES = 16  # per hash key and per one-time mask


class AuthenticationError(RuntimeError):
    """A tag did not verify (tampering) or the pre-shared key ran out."""


def poly_hash(message: bytes, r: int) -> int:
    """Evaluate the message polynomial at r modulo 2^127 - 1 (15-byte blocks, length-prefixed)."""
    acc = 0
    data = len(message).to_bytes(8, "big") + message
    for i in range(0, len(data), 15):
        block = int.from_bytes(data[i : i + 15], "big") + (1 << 120)  # the marker keeps trailing zeros apart
        acc = (acc + block) * r % PRIME
    return acc


class WegmanCarter:
    """One party's authenticator over a pool of pre-shared key bytes."""

    def __init__(self, preshared: bytes):
        if len(preshared) < 2 * KEY_BYTES:
            raise AuthenticationError("pre-shared authentication key needs at least 32 bytes")
        self._pool = bytes(preshared)
        self._r = int.from_bytes(self._pool[:KEY_BYTES], "big") % PRIME
        self._used = KEY_BYTES

    @property
    def used_bits(self) -> int:
        return 8 * self._used

    def unused(self) -> bytes:
        return self._pool[self._used :]

    def _mask(self) -> int:
        if self._used + KEY_BYTES > len(self._pool):
            raise AuthenticationError("pre-shared authentication key exhausted")
        s = int.from_bytes(self._pool[self._used : self._used + KEY_BYTES], "big")
        self._used += KEY_BYTES
        return s

    def tag(self, message: bytes) -> bytes:
        return ((poly_hash(message, self._r) + self._mask()) % PRIME).to_bytes(TAG_BYTES, "big")

    def verify(self, message: bytes, tag: bytes) -> None:
        if self.tag(message) != tag:
            raise AuthenticationError("classical message failed authentication")


def encode(payload: Any) -> bytes:
    """Canonical bytes of a message: numpy bit arrays are packed, everything else is JSON."""
    if isinstance(payload, np.ndarray):
        head = int(payload.size).to_bytes(8, "big")
        if payload.dtype == np.uint8 and (payload.size == 0 or int(payload.max()) <= 1):
            return b"B" + head + np.packbits(payload).tobytes()
        return b"I" + head + payload.astype(np.int64).tobytes()
    return b"J" + json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class AuthenticatedChannel:
    """The public classical channel between Alice and Bob, authenticated in checkpointed batches."""

    preshared: bytes
    tamper: Any = None  # test hook: callable(sender, kind, payload) -> payload as delivered
    messages: int = 0
    bytes_sent: int = 0
    checkpoints: int = 0
    _auth: dict = field(default_factory=dict)
    _sent: dict = field(default_factory=dict)
    _received: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Each direction owns one half of the pool, so no one-time mask is ever used twice.
        half = len(self.preshared) // 2
        pools = {"alice": self.preshared[:half], "bob": self.preshared[half:]}
        self._auth = {who: (WegmanCarter(pool), WegmanCarter(pool)) for who, pool in pools.items()}
        self._sent = {"alice": bytearray(), "bob": bytearray()}
        self._received = {"alice": bytearray(), "bob": bytearray()}

    def send(self, sender: str, kind: str, payload: Any) -> Any:
        """Deliver one message; returns what the receiver gets (the tamper hook may alter it)."""
        delivered = self.tamper(sender, kind, payload) if self.tamper else payload
        head = kind.encode() + b"\x00"
        self._sent[sender] += head + encode(payload)
        self._received[sender] += head + encode(delivered)
        self.messages += 1
        self.bytes_sent += len(head) + len(encode(payload))
        return delivered

    def checkpoint(self) -> None:
        """Each side tags what it sent since the last checkpoint; the peer verifies what it received."""
        for sender in ("alice", "bob"):
            if not self._sent[sender]:
                continue
            signer, verifier = self._auth[sender]
            verifier.verify(bytes(self._received[sender]), signer.tag(bytes(self._sent[sender])))
            self._sent[sender].clear()
            self._received[sender].clear()
            self.checkpoints += 1

    def remaining_key(self) -> bytes:
        """The pre-shared bytes no tag has touched, for the next session (never reused)."""
        return b"".join(self._auth[who][0].unused() for who in ("alice", "bob"))

    @property
    def key_bits_used(self) -> int:
        """Pre-shared key consumed by both directions (hash keys + one-time masks)."""
        return self._auth["alice"][0].used_bits + self._auth["bob"][0].used_bits
