"""Secure agent messages (AES-256-GCM and one-time pad under QKD keys) and resumable dataset transfers."""

from __future__ import annotations

import math
import os

import pytest
from fastapi.testclient import TestClient

from hub.agent import AgentError, SecureAgent
from hub.crypto import Envelope, EnvelopeError, Header, open_envelope, otp_key_bytes, seal_aes, seal_otp
from tests.hub.conftest import BASE_URL


@pytest.fixture
def agents(client):
    def make(name):
        # TestClient is an httpx.Client that calls the app in-process; the header stands in for the certificate.
        return SecureAgent(TestClient(client.app, base_url=BASE_URL, headers={"x-sae-id": name}), name)

    return make("SAE_A"), make("SAE_B"), make("SAE_C")


def test_envelope_binds_header_and_detects_tampering():
    key = os.urandom(32)
    env = seal_aes(key, Header("SAE_A", "SAE_B", ["k1"], 7), b"prompt: summarise the run")
    assert open_envelope(env, key)[0] == b"prompt: summarise the run"
    assert b"summarise" not in env.ciphertext.encode()
    for change in ({"to": "SAE_C"}, {"key_IDs": ["k2"]}, {"seq": 8}):
        forged = Envelope({**env.header, **change}, env.ciphertext)
        with pytest.raises(EnvelopeError, match="authentication failed"):
            open_envelope(forged, key)
    with pytest.raises(EnvelopeError):
        open_envelope(env, os.urandom(32))
    pad = os.urandom(200)
    otp = seal_otp(pad, Header("SAE_A", "SAE_B", ["k1", "k2"]), b"tool_call: get_results(3)")
    assert open_envelope(otp, pad)[0] == b"tool_call: get_results(3)"
    flipped = Envelope(otp.header, otp.ciphertext[:-4] + ("AAAA" if otp.ciphertext[-4:] != "AAAA" else "BBBB"), otp.tag)
    with pytest.raises(EnvelopeError):
        open_envelope(flipped, pad)


def test_messages_round_trip_aes_and_otp(agents, client):
    alice, bob, carol = agents
    before = client.get("/api/v1/keys/SAE_B/status", headers={"x-sae-id": "SAE_A"}).json()["stored_key_count"]
    alice.send("SAE_B", b'{"tool": "launch_run", "args": {"topology": "chain-3"}}', kind="tool-call")
    alice.send("SAE_B", b"short secret prompt", otp=True)
    assert carol.receive() == []  # not addressed to her
    got = bob.receive()
    assert [(m.sender, m.kind) for m in got] == [("SAE_A", "tool-call"), ("SAE_A", "message")]
    assert got[0].data.startswith(b'{"tool"') and got[1].data == b"short secret prompt"
    pad_keys = math.ceil(otp_key_bytes(len(b"short secret prompt")) / 128)  # 1024-bit keys: pad + MAC key
    assert got[1].header["suite"] == "otp-poly1305" and len(got[1].header["key_IDs"]) == pad_keys == 2
    after = client.get("/api/v1/keys/SAE_B/status", headers={"x-sae-id": "SAE_A"}).json()["stored_key_count"]
    assert before - after >= 2  # every message consumed fresh QKD key
    assert bob.receive() == []  # deleted once read
    # Carol cannot get the keys of a message she intercepted.
    alice.send("SAE_B", b"for bob only")
    item = bob.http.get("/api/v1/messages").json()[0]
    with pytest.raises(AgentError, match="400"):
        carol.peer_keys("SAE_A", item["envelope"]["header"]["key_IDs"])


def test_sender_must_be_the_caller(agents, client):
    alice, bob, _ = agents
    env = alice.seal("SAE_B", b"hello")
    r = client.post("/api/v1/messages", headers={"x-sae-id": "SAE_C"}, json={"to": "SAE_B", "envelope": env.to_dict()})
    assert r.status_code == 422 and "header.from" in r.json()["detail"]
    r = client.post("/api/v1/messages", headers={"x-sae-id": "SAE_A"}, json={"to": "SAE_C", "envelope": env.to_dict()})
    assert r.status_code == 422 and "header.to" in r.json()["detail"]
    assert client.get("/api/v1/messages").status_code == 401


def test_dataset_transfer_resumes_and_verifies_hashes(agents, client):
    alice, bob, carol = agents
    data = os.urandom(300_000)
    state = alice.send_dataset("SAE_B", "weights.bin", data, chunk_size=64 * 1024, stop_after=2)
    assert state["chunks"] == 5
    with pytest.raises(AgentError, match="missing chunks"):
        bob.receive_dataset(state["id"])
    assert bob._ok(bob.http.get(f"/api/v1/transfers/{state['id']}"))["missing"] == [2, 3, 4]
    assert alice.resume_dataset(state, data) == [2, 3, 4]
    assert alice.resume_dataset(state, data) == []  # nothing left: idempotent
    incoming = bob._ok(bob.http.get("/api/v1/transfers"))
    assert [t["name"] for t in incoming] == ["weights.bin"] and incoming[0]["complete"]
    assert bob.receive_dataset(state["id"]) == ("weights.bin", data)
    # A chunk that does not match the manifest is refused; strangers do not see the transfer.
    other = seal_aes(os.urandom(32), Header("SAE_A", "SAE_B", [state["key_ID"]], 0), b"evil")
    r = client.put(f"/api/v1/transfers/{state['id']}/chunks/0", headers={"x-sae-id": "SAE_A"}, json=other.to_dict())
    assert r.status_code == 422 and "does not match the manifest" in r.json()["detail"]
    assert bob.receive_dataset(state["id"]) == ("weights.bin", data)  # nothing was replaced
    r = client.put(f"/api/v1/transfers/{state['id']}/chunks/9", headers={"x-sae-id": "SAE_A"}, json=other.to_dict())
    assert r.status_code == 422
    fresh = alice.send_dataset("SAE_B", "x", b"abc", stop_after=0)
    assert carol.http.get(f"/api/v1/transfers/{state['id']}").status_code == 404
    assert bob.http.put(f"/api/v1/transfers/{fresh['id']}/chunks/0", json=other.to_dict()).status_code == 403
