"""ETSI GS QKD 014 key delivery: formats, errors, single use, authorisation, QKD-fed key pool (in-process)."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hub.conftest import sae

STATUS_FIELDS = {"source_KME_ID", "target_KME_ID", "master_SAE_ID", "slave_SAE_ID", "key_size", "stored_key_count",
                 "max_key_count", "max_key_per_request", "max_key_size", "min_key_size", "max_SAE_ID_count"}


def enc(client, master, slave, **body):
    return client.post(f"/api/v1/keys/{slave}/enc_keys", headers=sae(master), json=body)


def dec(client, slave, master, ids):
    body = {"key_IDs": [{"key_ID": i} for i in ids]}
    return client.post(f"/api/v1/keys/{master}/dec_keys", headers=sae(slave), json=body)


def test_pool_holds_the_distilled_key(client, seed_db):
    report = seed_db.reports[0]
    assert report["aborted"] == "" and report["pair"] == "A|B" and report["key_bits"] > 4000
    assert report["qber"] < 0.02 and report["pairs"] == 40000
    assert client.app.state.hub.keystore.available_bytes("A", "B") * 8 == report["key_bits"]


def test_status(client, seed_db):
    r = client.get("/api/v1/keys/SAE_B/status", headers=sae("SAE_A"))
    assert r.status_code == 200
    st = r.json()
    assert set(st) >= STATUS_FIELDS and set(st) - STATUS_FIELDS <= {"status_extension"}
    assert st["master_SAE_ID"] == "SAE_A" and st["slave_SAE_ID"] == "SAE_B"
    assert (st["source_KME_ID"], st["target_KME_ID"]) == ("KME-A", "KME-B")
    assert st["stored_key_count"] == seed_db.reports[0]["key_bits"] // 256 and st["max_SAE_ID_count"] == 0
    assert st["status_extension"]["hub_qber"] == pytest.approx(seed_db.reports[0]["qber"])
    assert client.get("/api/v1/keys/SAE_C/status", headers=sae("SAE_A")).json()["stored_key_count"] == 0


def test_get_key_and_key_with_ids_single_use(client):
    before = client.get("/api/v1/keys/SAE_B/status", headers=sae("SAE_A")).json()["stored_key_count"]
    r = enc(client, "SAE_A", "SAE_B", number=3, size=128)
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert len(keys) == 3 and all(len(base64.b64decode(k["key"])) == 16 for k in keys)
    assert len({k["key"] for k in keys}) == 3 and all(uuid.UUID(k["key_ID"]) for k in keys)
    after = client.get("/api/v1/keys/SAE_B/status", headers=sae("SAE_A")).json()["stored_key_count"]
    assert before - after == 2  # 3 x 128 bits = 1.5 default-size keys, rounded by the count
    simple = client.get("/api/v1/keys/SAE_B/enc_keys", headers=sae("SAE_A"))
    assert simple.status_code == 200 and len(base64.b64decode(simple.json()["keys"][0]["key"])) == 32

    ids = [k["key_ID"] for k in keys]
    got = dec(client, "SAE_B", "SAE_A", ids)
    assert got.status_code == 200 and got.json()["keys"] == keys
    again = dec(client, "SAE_B", "SAE_A", ids[:1])
    assert again.status_code == 400 and again.json()["details"][0]["reason"] == "already delivered or expired"
    one = client.get("/api/v1/keys/SAE_A/dec_keys", headers=sae("SAE_B"),
                     params={"key_ID": simple.json()["keys"][0]["key_ID"]})
    assert one.status_code == 200 and one.json() == simple.json()
    # A fresh request never returns bytes handed out before.
    fresh = enc(client, "SAE_A", "SAE_B", number=2, size=128).json()["keys"]
    assert not {k["key"] for k in fresh} & {k["key"] for k in keys}


def test_other_saes_cannot_read_a_pairs_keys(client):
    ids = [k["key_ID"] for k in enc(client, "SAE_A", "SAE_B", number=2, size=64).json()["keys"]]
    for caller, master in [("SAE_C", "SAE_A"), ("SAE_A", "SAE_A"), ("SAE_B", "SAE_C")]:
        r = dec(client, caller, master, ids)
        assert r.status_code == 400, (caller, master)
        assert {d["reason"] for d in r.json()["details"]} == {"unknown"}  # no hint that the keys exist
    # Refused requests consumed nothing: the real slave still gets both keys, all or nothing.
    assert dec(client, "SAE_B", "SAE_A", ids).status_code == 200
    mixed = [k["key_ID"] for k in enc(client, "SAE_A", "SAE_B", number=1, size=64).json()["keys"]] + [str(uuid.uuid4())]
    assert dec(client, "SAE_B", "SAE_A", mixed).status_code == 400
    assert dec(client, "SAE_B", "SAE_A", mixed[:1]).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": 0}, "number"), ({"number": 129}, "number"), ({"size": 257}, "size"), ({"size": 32}, "size"),
        ({"size": 2048}, "size"), ({"additional_slave_SAE_IDs": ["SAE_C"]}, "additional_slave_SAE_IDs"),
        ({"extension_mandatory": [{"abc_route_type": "direct"}]}, "extension_mandatory_unsupported"),
        ({"number": "two"}, "body.number"), ({"number": 1.5}, "body.number"),
    ],
)
def test_bad_key_requests_are_400_with_details(client, body, field):
    r = enc(client, "SAE_A", "SAE_B", **body)
    assert r.status_code == 400
    err = r.json()
    assert isinstance(err["message"], str) and any(field in d for d in err["details"])


def test_other_errors(client):
    assert enc(client, "SAE_A", "SAE_B", extension_optional=[{"abc_max_age": 30}]).status_code == 200
    assert client.post("/api/v1/keys/SAE_B/enc_keys", headers=sae("SAE_A")).status_code == 200  # empty body
    r = client.post("/api/v1/keys/SAE_B/enc_keys", headers={**sae("SAE_A"), "content-type": "application/json"},
                    content=b"{not json")
    assert r.status_code == 400 and "message" in r.json()
    assert enc(client, "SAE_A", "SAE_A").status_code == 400  # master == slave
    nobody = client.get("/api/v1/keys/SAE_B/status")
    assert nobody.status_code == 401 and "certificate" in nobody.json()["message"]
    assert dec(client, "SAE_B", "SAE_A", ["not-a-uuid"]).json()["details"][0]["reason"] == "not a UUID"
    assert client.post("/api/v1/keys/SAE_A/dec_keys", headers=sae("SAE_B"), json={"key_IDs": []}).status_code == 400
    unknown = enc(client, "SAE_A", "SAE_C", number=1)
    assert unknown.status_code == 400 and "no QKD link" in unknown.json()["message"]
    available = client.get("/api/v1/keys/SAE_B/status", headers=sae("SAE_A")).json()["stored_key_count"]
    assert enc(client, "SAE_A", "SAE_B", number=min(available, 128)).status_code == 200
    exhausted = enc(client, "SAE_A", "SAE_B", number=128)
    assert exhausted.status_code == 503 and exhausted.json()["details"][0]["requested_bits"] == 128 * 256


def test_concurrent_requests_never_share_key_bytes(client):
    def grab(_):
        r = enc(client, "SAE_A", "SAE_B", number=2, size=64)
        return r.json()["keys"] if r.status_code == 200 else []

    with ThreadPoolExecutor(8) as pool:
        keys = [k for batch in pool.map(grab, range(24)) for k in batch]
    assert len(keys) == 48
    assert len({k["key"] for k in keys}) == 48 and len({k["key_ID"] for k in keys}) == 48
