"""Hub configuration: one frozen dataclass, filled from arguments or ``QNP_HUB_*`` environment variables.

Hub layer (web service on top of ``qnp_engine`` and ``storage``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class HubSettings:
    db_url: str | None = None  # None: storage's default (QNP_STUDIO_DB_URL / QNP_STUDIO_DB / ./qnp_studio.db)
    kme_id_prefix: str = "KME-"  # the KME serving an end node N is "KME-N"
    # ETSI GS QKD 014 limits (sizes in bits; whole bytes only, see docs/hub.md).
    key_size: int = 256
    min_key_size: int = 64
    max_key_size: int = 1024
    max_key_per_request: int = 128
    max_key_count: int = 100_000
    reserved_key_ttl_s: float = 3600.0  # issued keys the slave never fetched are dropped after this
    # SAE identity: the mTLS client certificate's common name. The header fallback is for in-process tests only.
    allow_header_identity: bool = False
    identity_header: str = "x-sae-id"
    sae_nodes: dict[str, str] = field(default_factory=dict)  # SAE ID -> end node (default: the same name)
    # API protection.
    auth_required: bool = True
    rate_limit_per_s: float = 50.0  # per token, token bucket
    rate_burst: int = 100
    max_body_bytes: int = 1 << 20
    max_upload_chunk_bytes: int = 1 << 20
    # Run manager.
    max_concurrent_runs: int | None = None
    manage_runs: bool = True  # start a background ticker for queued runs
    # QKD distillation of finished runs.
    initial_auth_key_bytes: int = 4096  # pre-shared Wegman-Carter key installed per node pair
    max_qkd_pairs: int = 2_000_000  # outcome records distilled per request at most
    mcp: bool = True  # mount the MCP server at /mcp

    @classmethod
    def from_env(cls, **overrides) -> HubSettings:
        """Defaults, then ``QNP_HUB_<FIELD>`` variables, then ``overrides``."""
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get(f"QNP_HUB_{f.name.upper()}")
            if raw is None or f.name == "sae_nodes":
                continue
            default = getattr(cls(), f.name)
            if isinstance(default, bool):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int) and not isinstance(default, bool):
                values[f.name] = int(raw)
            elif isinstance(default, float):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        return replace(cls(**values), **overrides)

    def node_of(self, sae_id: str) -> str:
        return self.sae_nodes.get(sae_id, sae_id)

    def kme_of(self, sae_id: str) -> str:
        return f"{self.kme_id_prefix}{self.node_of(sae_id)}"
