"""Client side for agents (SAEs): get QKD keys over ETSI 014, seal/open messages, send datasets in chunks.

Hub layer, client helper (also what the tests and the benchmark drive). The agent talks to the hub with an
``httpx.Client`` that already carries its identity (client certificate, or the test header). Keys it obtained
as master are kept in memory so that an interrupted transfer can be resumed with identical sealed chunks.
"""

from __future__ import annotations

import base64
import hashlib
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from hub.crypto import Envelope, Header, open_envelope, otp_key_bytes, seal_aes, seal_otp


class AgentError(RuntimeError):
    pass


@dataclass
class Received:
    id: int
    sender: str
    kind: str
    data: bytes
    header: dict[str, Any]


@dataclass
class SecureAgent:
    http: httpx.Client
    sae_id: str
    otp_key_bits: int = 1024  # key size requested for one-time pads (the hub's max_key_size)
    keys: dict[str, bytes] = field(default_factory=dict)  # key_ID -> material obtained as master
    peer: dict[str, bytes] = field(default_factory=dict)  # key_ID -> material obtained as slave
    _seq: int = 0

    def _ok(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            raise AgentError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    # -- keys (ETSI GS QKD 014) ----------------------------------------------------------------------------
    def get_keys(self, peer: str, number: int = 1, size: int = 256) -> list[tuple[str, bytes]]:
        body = self._ok(self.http.post(f"/api/v1/keys/{peer}/enc_keys", json={"number": number, "size": size}))
        out = [(k["key_ID"], base64.b64decode(k["key"])) for k in body["keys"]]
        self.keys.update(out)
        return out

    def peer_keys(self, master: str, key_ids: list[str]) -> bytes:
        """The keys a master shared with us; fetched once from the KME (single use), then kept here."""
        missing = [k for k in key_ids if k not in self.peer]
        if missing:
            body = self._ok(self.http.post(f"/api/v1/keys/{master}/dec_keys",
                                           json={"key_IDs": [{"key_ID": k} for k in missing]}))
            self.peer.update({k["key_ID"]: base64.b64decode(k["key"]) for k in body["keys"]})
        return b"".join(self.peer[k] for k in key_ids)

    # -- messages ------------------------------------------------------------------------------------------
    def seal(self, to: str, data: bytes, kind: str = "message", otp: bool = False) -> Envelope:
        if otp:
            need = otp_key_bytes(len(data))
            per_key = self.otp_key_bits // 8
            number = math.ceil(need / per_key)
            keys = self.get_keys(to, number, self.otp_key_bits)
            header = Header(self.sae_id, to, [k for k, _ in keys], 0, kind)
            return seal_otp(b"".join(m for _, m in keys), header, data)
        (key_id, key), = self.get_keys(to, 1, 256)
        self._seq += 1
        return seal_aes(key, Header(self.sae_id, to, [key_id], self._seq, kind), data)

    def send(self, to: str, data: bytes, kind: str = "message", otp: bool = False) -> int:
        env = self.seal(to, data, kind, otp)
        return self._ok(self.http.post("/api/v1/messages", json={"to": to, "envelope": env.to_dict()}))["id"]

    def receive(self, delete: bool = True) -> list[Received]:
        out = []
        for item in self._ok(self.http.get("/api/v1/messages")):
            env = Envelope.from_dict(item["envelope"])
            data, _ = open_envelope(env, self.peer_keys(item["sender"], env.header["key_IDs"]))
            out.append(Received(item["id"], item["sender"], env.header.get("kind", ""), data, env.header))
            if delete:
                self._ok(self.http.delete(f"/api/v1/messages/{item['id']}"))
        return out

    # -- datasets --------------------------------------------------------------------------------------------
    def _seal_chunks(self, to: str, key_id: str, dataset: str, data: bytes, chunk_size: int) -> list[Envelope]:
        key = self.keys[key_id]
        total = max(1, math.ceil(len(data) / chunk_size))
        digest = hashlib.sha256(data).hexdigest()
        envs = []
        for i in range(total):
            header = Header(self.sae_id, to, [key_id], i, "dataset-chunk",
                            {"dataset": dataset, "chunk": i, "chunks": total})
            meta = {"dataset_sha256": digest, "size": len(data)}
            envs.append(seal_aes(key, header, data[i * chunk_size : (i + 1) * chunk_size], meta))
        return envs

    def send_dataset(self, to: str, name: str, data: bytes, chunk_size: int = 256 * 1024,
                     stop_after: int | None = None) -> dict[str, Any]:
        """Announce and upload a dataset; ``stop_after`` simulates an interrupted upload (resume later)."""
        (key_id, _), = self.get_keys(to, 1, 256)  # one key per dataset; nonce = chunk index
        dataset = str(uuid.uuid4())
        envs = self._seal_chunks(to, key_id, dataset, data, chunk_size)
        state = self._ok(self.http.post("/api/v1/transfers", json={
            "to": to, "name": name, "chunk_hashes": [e.ciphertext_sha256 for e in envs]}))
        state["key_ID"], state["dataset"], state["chunk_size"] = key_id, dataset, chunk_size
        for i, env in enumerate(envs):
            if stop_after is not None and i >= stop_after:
                break
            self._ok(self.http.put(f"/api/v1/transfers/{state['id']}/chunks/{i}", json=env.to_dict()))
        return state

    def resume_dataset(self, state: dict[str, Any], data: bytes) -> list[int]:
        """Upload only the chunks the hub is missing; returns their indexes."""
        now = self._ok(self.http.get(f"/api/v1/transfers/{state['id']}"))
        envs = self._seal_chunks(now["recipient"], state["key_ID"], state["dataset"], data, state["chunk_size"])
        for i in now["missing"]:
            self._ok(self.http.put(f"/api/v1/transfers/{state['id']}/chunks/{i}", json=envs[i].to_dict()))
        return now["missing"]

    def receive_dataset(self, transfer_id: str) -> tuple[str, bytes]:
        state = self._ok(self.http.get(f"/api/v1/transfers/{transfer_id}"))
        if not state["complete"]:
            raise AgentError(f"transfer {transfer_id} is missing chunks {state['missing']}")
        key = b""
        parts, digest = [], None
        for i in range(state["chunks"]):
            env = Envelope.from_dict(self._ok(self.http.get(f"/api/v1/transfers/{transfer_id}/chunks/{i}")))
            if env.ciphertext_sha256 != state["chunk_hashes"][i] or env.header.get("chunk") != i:
                raise AgentError(f"chunk {i}: does not match the manifest")
            if not key:
                key = self.peer_keys(state["sender"], env.header["key_IDs"])
            data, meta = open_envelope(env, key)
            if digest not in (None, meta["dataset_sha256"]):
                raise AgentError(f"chunk {i}: belongs to another dataset")
            digest = meta["dataset_sha256"]
            parts.append(data)
        blob = b"".join(parts)
        if hashlib.sha256(blob).hexdigest() != digest:
            raise AgentError("dataset: SHA-256 of the reassembled data does not match")
        return state["name"], blob
