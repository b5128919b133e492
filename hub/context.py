"""Everything a request handler needs, built once per app: settings, database, key store, run manager.

Hub layer. ``create_app`` stores one ``HubContext`` on ``app.state.hub``; handlers get it with
``Depends(get_ctx)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hub.keystore import KeyStore, pair_name
from hub.settings import HubSettings
from hub.tables import QkdSession
from storage.manager import RunManager


@dataclass
class HubContext:
    settings: HubSettings
    engine: Engine
    keystore: KeyStore
    manager: RunManager
    extras: dict[str, Any] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def qkd_status(self, node_a: str, node_b: str) -> dict[str, Any] | None:
        """Figures of the pair's latest QKD session, for the 014 ``status_extension``."""
        with self.session() as s:
            row = s.exec(
                select(QkdSession).where(QkdSession.pair == pair_name(node_a, node_b))
                .order_by(col(QkdSession.id).desc()).limit(1)
            ).first()
        if row is None:
            return None
        r = row.report
        return {
            "hub_qkd_sessions_run_id": row.run_id, "hub_qber": r.get("qber"),
            "hub_secret_bits_per_pair": r.get("secret_bits_per_pair"), "hub_key_rate_bps": r.get("key_rate_bps"),
        }


def get_ctx(request: Request) -> HubContext:
    return request.app.state.hub
