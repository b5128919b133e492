"""Sealed envelopes for agent messages and dataset chunks, keyed by QKD keys.

Hub layer; used by agents (``agent.py``), never by the hub itself, which only relays envelopes. Suites:

- ``aes256gcm-qkd``: AES-256-GCM with one 256-bit QKD key; the 96-bit nonce is the per-key sequence number
  (the sender never reuses a (key, seq) pair); the header is the associated data.
- ``otp-poly1305``: one-time pad over the payload plus a Poly1305 one-time MAC (Wegman-Carter) over header and
  ciphertext; consumes fresh key of payload length + 32 bytes, never reused (information-theoretic).

The header travels in clear but authenticated: version, suite, sender, recipient, key_IDs, sequence number,
kind, and transfer/chunk fields. The plaintext's SHA-256 sits *inside* the encrypted payload, so observers
cannot confirm guesses about the content.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.poly1305 import Poly1305

VERSION = 1
AES_SUITE = "aes256gcm-qkd"
OTP_SUITE = "otp-poly1305"
SUITES = (AES_SUITE, OTP_SUITE)
MAC_KEY_BYTES = 32


class EnvelopeError(ValueError):
    """Tampered, truncated or mis-keyed envelope (the message says which check failed)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise EnvelopeError(f"{what}: not valid base64") from None


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def canonical(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _inner(plaintext: bytes, meta: dict[str, Any] | None) -> bytes:
    info = canonical({"sha256": hashlib.sha256(plaintext).hexdigest(), **(meta or {})})
    return len(info).to_bytes(4, "big") + info + plaintext


def _split_inner(inner: bytes) -> tuple[bytes, dict[str, Any]]:
    if len(inner) < 4:
        raise EnvelopeError("payload: truncated")
    n = int.from_bytes(inner[:4], "big")
    try:
        info = json.loads(inner[4 : 4 + n])
    except ValueError:
        raise EnvelopeError("payload: corrupt inner header") from None
    plaintext = inner[4 + n :]
    if hashlib.sha256(plaintext).hexdigest() != info.get("sha256"):
        raise EnvelopeError("payload: content hash mismatch")
    return plaintext, info


@dataclass(frozen=True)
class Envelope:
    header: dict[str, Any]
    ciphertext: str  # base64
    tag: str = ""  # base64 Poly1305 tag (OTP suite; GCM carries its tag inside the ciphertext)

    def to_dict(self) -> dict[str, Any]:
        return {"header": self.header, "ciphertext": self.ciphertext, "tag": self.tag}

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, dict) or not isinstance(data.get("header"), dict):
            raise EnvelopeError("envelope: must be an object with 'header', 'ciphertext' and 'tag'")
        header = data["header"]
        for name in ("v", "suite", "from", "to", "key_IDs", "seq"):
            if name not in header:
                raise EnvelopeError(f"header.{name}: required field is missing")
        if header["suite"] not in SUITES:
            raise EnvelopeError(f"header.suite: must be one of {', '.join(SUITES)}")
        if not isinstance(header["key_IDs"], list) or not all(isinstance(k, str) for k in header["key_IDs"]):
            raise EnvelopeError("header.key_IDs: must be a list of key_ID strings")
        if not isinstance(data.get("ciphertext"), str) or not isinstance(data.get("tag", ""), str):
            raise EnvelopeError("ciphertext/tag: must be base64 strings")
        return cls(header, data["ciphertext"], data.get("tag", ""))

    @property
    def ciphertext_sha256(self) -> str:
        """Hash of the sealed bytes: what a transfer manifest lists (reveals nothing about the plaintext)."""
        return hashlib.sha256(_unb64(self.ciphertext, "ciphertext") + _unb64(self.tag, "tag")).hexdigest()


@dataclass
class Header:
    sender: str
    recipient: str
    key_ids: list[str]
    seq: int = 0
    kind: str = "message"
    extra: dict[str, Any] = field(default_factory=dict)

    def build(self, suite: str) -> dict[str, Any]:
        return {"v": VERSION, "suite": suite, "from": self.sender, "to": self.recipient, "key_IDs": list(self.key_ids),
                "seq": self.seq, "kind": self.kind, **self.extra}


def otp_key_bytes(plaintext_len: int, meta: dict[str, Any] | None = None) -> int:
    """Fresh key an OTP envelope consumes for this plaintext (pad + MAC key)."""
    return len(_inner(b"\0" * plaintext_len, meta)) + MAC_KEY_BYTES


def seal_aes(key: bytes, header: Header, plaintext: bytes, meta: dict[str, Any] | None = None) -> Envelope:
    if len(key) != 32:
        raise EnvelopeError("key: AES-256 needs a 256-bit key")
    if not 0 <= header.seq < 1 << 96:
        raise EnvelopeError("seq: must fit the 96-bit nonce")
    h = header.build(AES_SUITE)
    ct = AESGCM(key).encrypt(header.seq.to_bytes(12, "big"), _inner(plaintext, meta), canonical(h))
    return Envelope(h, _b64(ct))


def seal_otp(key_material: bytes, header: Header, plaintext: bytes, meta: dict[str, Any] | None = None) -> Envelope:
    inner = _inner(plaintext, meta)
    if len(key_material) < MAC_KEY_BYTES + len(inner):
        raise EnvelopeError(f"key: one-time pad needs {MAC_KEY_BYTES + len(inner)} bytes, got {len(key_material)}")
    mac_key, pad = key_material[:MAC_KEY_BYTES], key_material[MAC_KEY_BYTES : MAC_KEY_BYTES + len(inner)]
    h = header.build(OTP_SUITE)
    ct = _xor(inner, pad)
    aad = canonical(h)
    tag = Poly1305.generate_tag(mac_key, len(aad).to_bytes(8, "big") + aad + ct)
    return Envelope(h, _b64(ct), _b64(tag))


def open_envelope(env: Envelope, key_material: bytes) -> tuple[bytes, dict[str, Any]]:
    """Check and decrypt; ``key_material`` is the concatenation of the header's keys in order."""
    aad = canonical(env.header)
    ct = _unb64(env.ciphertext, "ciphertext")
    if env.header["suite"] == AES_SUITE:
        if len(key_material) != 32:
            raise EnvelopeError("key: AES-256 needs a 256-bit key")
        try:
            inner = AESGCM(key_material).decrypt(int(env.header["seq"]).to_bytes(12, "big"), ct, aad)
        except (InvalidTag, OverflowError, ValueError):
            raise EnvelopeError("authentication failed: wrong key or tampered header/ciphertext") from None
    else:
        if len(key_material) < MAC_KEY_BYTES + len(ct):
            raise EnvelopeError("key: not enough key material for this one-time pad")
        try:
            Poly1305.verify_tag(key_material[:MAC_KEY_BYTES], len(aad).to_bytes(8, "big") + aad + ct,
                                _unb64(env.tag, "tag"))
        except (InvalidSignature, InvalidTag):
            raise EnvelopeError("authentication failed: wrong key or tampered header/ciphertext") from None
        pad = key_material[MAC_KEY_BYTES : MAC_KEY_BYTES + len(ct)]
        inner = _xor(ct, pad)
    return _split_inner(inner)
