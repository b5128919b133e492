"""Key store per pair of end nodes: deposit distilled QKD key, issue keys to a master SAE, release to the slave.

Hub layer. Every key is single-use: ``issue`` carves fresh bytes from the pair's key blocks (never handed out
again) and records the key under a new UUID for (master, slave); ``release`` returns it to the slave once and
deletes it, leaving a tombstone so the ID is never served twice. Both run in one database transaction under a
process-wide lock, so concurrent requests never receive the same bytes.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from hub.settings import HubSettings
from hub.tables import ConsumedKey, IssuedKey, KeyBlock, PairAuthKey, QkdSession
from storage.models import utcnow


def pair_name(node_a: str, node_b: str) -> str:
    return "|".join(sorted((node_a, node_b)))


class KeyStoreError(Exception):
    """Base: ``status`` is the HTTP code the 014 API answers with; ``details`` its name/value objects."""

    status = 400

    def __init__(self, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class KeyRequestInvalid(KeyStoreError):
    status = 400


class KeyAccessDenied(KeyStoreError):
    status = 401


class KeyPoolExhausted(KeyStoreError):
    """Fewer keys stored than requested: 503, a temporary condition a client may retry (docs/hub.md)."""

    status = 503


@dataclass(frozen=True)
class Key:
    key_id: str
    material: bytes


class KeyStore:
    _lock = threading.Lock()  # one per process: the bytes of a block are carved by one request at a time

    def __init__(self, engine: Engine, settings: HubSettings):
        self.engine = engine
        self.settings = settings

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- pool ----------------------------------------------------------------------------------------------
    def deposit(self, node_a: str, node_b: str, material: bytes, source: str = "") -> int:
        if not material:
            return 0
        with self._session() as s:
            s.add(KeyBlock(pair=pair_name(node_a, node_b), material=bytes(material), source=source[:300]))
            s.commit()
        return len(material)

    def available_bytes(self, node_a: str, node_b: str) -> int:
        with self._session() as s:
            total = s.exec(
                select(func.coalesce(func.sum(func.length(KeyBlock.material) - KeyBlock.used), 0))
                .where(KeyBlock.pair == pair_name(node_a, node_b))
            ).one()
        return int(total)

    def stored_key_count(self, node_a: str, node_b: str, size_bits: int | None = None) -> int:
        size = size_bits or self.settings.key_size
        return min(self.settings.max_key_count, self.available_bytes(node_a, node_b) * 8 // size)

    def pair_known(self, pair: str) -> bool:
        """Whether key was ever deposited for the pair (an exhausted pool is 503, an unknown pair 400)."""
        with self._session() as s:
            return s.exec(select(QkdSession.id).where(QkdSession.pair == pair).limit(1)).first() is not None or \
                s.exec(select(ConsumedKey.key_id).where(ConsumedKey.pair == pair).limit(1)).first() is not None

    def pairs(self) -> dict[str, int]:
        """Available bytes per pair (for listings)."""
        with self._session() as s:
            rows = s.exec(
                select(KeyBlock.pair, func.sum(func.length(KeyBlock.material) - KeyBlock.used)).group_by(KeyBlock.pair)
            ).all()
        return {p: int(n) for p, n in rows}

    # -- master side -----------------------------------------------------------------------------------------
    def issue(self, master: str, slaves: list[str], number: int, size_bits: int) -> list[Key]:
        """Fresh keys for ``master`` shared with ``slaves`` (all on one node pair); raises KeyStoreError."""
        node_m = self.settings.node_of(master)
        nodes = {self.settings.node_of(s) for s in slaves}
        if len(nodes) != 1:
            raise KeyRequestInvalid("all slave SAEs must sit on the same node", [{"slave_SAE_IDs": sorted(slaves)}])
        node_s = nodes.pop()
        if node_s == node_m:
            raise KeyRequestInvalid("master and slave SAE sit on the same node: no QKD link between them",
                                    [{"slave_SAE_ID": slaves[0]}])
        pair = pair_name(node_m, node_s)
        need = number * size_bits // 8
        with self._lock, self._session() as s:
            blocks = s.exec(
                select(KeyBlock).where(KeyBlock.pair == pair, func.length(KeyBlock.material) > KeyBlock.used)
                .order_by(col(KeyBlock.id))
            ).all()
            have = sum(len(b.material) - b.used for b in blocks)
            if not blocks and not self.pair_known(pair):
                raise KeyRequestInvalid(
                    "no QKD link between these SAEs: no key was ever distilled for their pair of end nodes",
                    [{"slave_SAE_ID": slaves[0], "pair": pair}])
            if have < need:
                raise KeyPoolExhausted(
                    "not enough key material for this SAE pair; retry when more pairs have been distilled",
                    [{"stored_bits": have * 8, "requested_bits": need * 8}],
                )
            stream = bytearray()
            for b in blocks:
                take = min(need - len(stream), len(b.material) - b.used)
                stream += b.material[b.used : b.used + take]
                b.used += take
                if b.used == len(b.material):
                    s.delete(b)  # fully consumed: drop the material
                else:
                    s.add(b)
                if len(stream) == need:
                    break
            step = size_bits // 8
            keys = [Key(str(uuid.uuid4()), bytes(stream[i * step : (i + 1) * step])) for i in range(number)]
            for k in keys:
                s.add(IssuedKey(key_id=k.key_id, pair=pair, master=master, slaves=list(slaves), material=k.material))
            s.commit()
        return keys

    # -- slave side ------------------------------------------------------------------------------------------
    def release(self, caller: str, master: str, key_ids: list[str]) -> list[Key]:
        """The keys ``key_ids`` issued by ``master`` to ``caller``, once; all or nothing."""
        problems: list[dict] = []
        for kid in key_ids:
            try:
                uuid.UUID(kid)
            except (ValueError, AttributeError, TypeError):
                problems.append({"key_ID": str(kid), "reason": "not a UUID"})
        if len(set(key_ids)) != len(key_ids):
            problems.append({"key_IDs": "the same key_ID is listed twice"})
        if problems:
            raise KeyRequestInvalid("malformed key_IDs", problems)
        with self._lock, self._session() as s:
            rows = {r.key_id: r for r in s.exec(select(IssuedKey).where(col(IssuedKey.key_id).in_(key_ids))).all()}
            gone = {r.key_id for r in s.exec(select(ConsumedKey).where(col(ConsumedKey.key_id).in_(key_ids))).all()}
            for kid in key_ids:
                row = rows.get(kid)
                if row is None:
                    reason = "already delivered or expired" if kid in gone else "unknown"
                    problems.append({"key_ID": kid, "reason": reason})
                elif row.master != master or caller not in row.slaves:
                    # Same answer as for an unknown ID: a foreign SAE learns nothing about other pairs' keys.
                    problems.append({"key_ID": kid, "reason": "unknown"})
            if problems:
                raise KeyRequestInvalid("key_IDs cannot be delivered to this SAE", problems)
            out = [Key(kid, rows[kid].material) for kid in key_ids]
            for kid in key_ids:
                s.delete(rows[kid])
                s.add(ConsumedKey(key_id=kid, pair=rows[kid].pair))
            s.commit()
        return out

    def expire_reserved(self) -> int:
        """Drop issued keys older than the TTL (their slave never came); returns how many."""
        cutoff = utcnow() - timedelta(seconds=self.settings.reserved_key_ttl_s)
        with self._lock, self._session() as s:
            old = s.exec(select(IssuedKey).where(IssuedKey.created_at < cutoff)).all()
            for row in old:
                s.add(ConsumedKey(key_id=row.key_id, pair=row.pair, reason="expired"))
            s.exec(delete(IssuedKey).where(col(IssuedKey.created_at) < cutoff))  # type: ignore[call-overload]
            s.commit()
        return len(old)

    # -- authentication key of the QKD classical channel -----------------------------------------------------
    def auth_key(self, node_a: str, node_b: str) -> bytes:
        """The pair's pre-shared Wegman-Carter key, installed on first use (simulated out-of-band setup)."""
        pair = pair_name(node_a, node_b)
        with self._session() as s:
            row = s.get(PairAuthKey, pair)
            if row is None:
                row = PairAuthKey(pair=pair, material=secrets.token_bytes(self.settings.initial_auth_key_bytes))
                s.add(row)
                s.commit()
            return row.material

    def set_auth_key(self, node_a: str, node_b: str, material: bytes) -> None:
        pair = pair_name(node_a, node_b)
        with self._session() as s:
            row = s.get(PairAuthKey, pair) or PairAuthKey(pair=pair, material=b"")
            row.material, row.updated_at = bytes(material), utcnow()
            s.add(row)
            s.commit()
