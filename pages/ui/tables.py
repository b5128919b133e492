"""Draft <-> table rows for the ``st.data_editor`` tables (nodes, links, requests).

UI layer, pure. Memory fields are flattened into node rows; "no decay" (inf) shows as an empty
cell. ``apply_*_delta`` fold the editor's delta (``edited_rows`` / ``added_rows`` /
``deleted_rows``, as Streamlit stores it under the editor's key) into a new draft; renaming a node
in the table renames it in every link and request too.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pandas as pd

from pages.ui.draft import Draft, finite_or_none, new_link, new_node, rename_node, unique_name

MEMORY_FIELDS = ("qubits_per_link", "t1_s", "t2_s", "depolarizing_time_s")
NODE_COLUMNS = ("name", "role", "x", "y", "lat", "lon", *MEMORY_FIELDS)
LINK_COLUMNS = ("a", "b", "model", "length_km", "attenuation_db_per_km", "success_probability", "fidelity",
                "attempt_time_s", "cycle_time_s", "detection_efficiency", "alpha", "dark_count_probability",
                "visibility")
REQUEST_COLUMNS = ("name", "src", "dst", "qos", "min_fidelity", "pairs", "rate_hz", "cutoff_s", "deadline_s",
                   "start_s", "weight")
TEXT_COLUMNS = {"name", "role", "a", "b", "model", "src", "dst", "qos"}
INT_COLUMNS = {"qubits_per_link", "pairs"}


def node_rows(draft: Draft) -> pd.DataFrame:
    rows = []
    for n in draft.get("nodes") or []:
        mem = n.get("memory") or {}
        row = {k: n.get(k) for k in NODE_COLUMNS if k not in MEMORY_FIELDS}
        row |= {k: mem.get(k) for k in MEMORY_FIELDS}
        for k in ("t1_s", "t2_s", "depolarizing_time_s"):
            row[k] = finite_or_none(row[k])
        rows.append(row)
    return _frame(rows, NODE_COLUMNS)


def link_rows(draft: Draft) -> pd.DataFrame:
    return _frame([{k: lk.get(k) for k in LINK_COLUMNS} for lk in draft.get("links") or []], LINK_COLUMNS)


def request_rows(draft: Draft) -> pd.DataFrame:
    return _frame([{k: r.get(k) for k in REQUEST_COLUMNS} for r in draft.get("requests") or []], REQUEST_COLUMNS)


def _frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for col in columns:
        if col in TEXT_COLUMNS:
            df[col] = df[col].astype("object")
        else:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def _cell(col: str, value: Any) -> Any:
    """A table cell back to a draft value: NaN is 'not set'; whole numbers stay ints where the format wants."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if col in TEXT_COLUMNS:
        return str(value).strip()
    if col in INT_COLUMNS and isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    return value


def _set_node_field(node: dict, col: str, value: Any) -> None:
    value = _cell(col, value)
    if col in MEMORY_FIELDS:
        mem = node.setdefault("memory", {})
        if col == "qubits_per_link":
            mem[col] = value
        else:
            mem[col] = math.inf if value is None else value
    else:
        node[col] = value


def apply_node_delta(draft: Draft, delta: dict) -> Draft:
    out = copy.deepcopy(draft)
    nodes = out["nodes"]
    for idx_s, changes in sorted((delta.get("edited_rows") or {}).items(), key=lambda kv: int(kv[0])):
        idx = int(idx_s)
        if idx >= len(nodes):
            continue
        changes = dict(changes)
        if "name" in changes:
            old, new = nodes[idx].get("name"), _cell("name", changes.pop("name")) or ""
            if new != old:
                out = rename_node(out, str(old), new)
                nodes = out["nodes"]
        for col, value in changes.items():
            _set_node_field(nodes[idx], col, value)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    if deleted:
        gone = {str(nodes[i].get("name")) for i in deleted if i < len(nodes)}
        out["nodes"] = [n for i, n in enumerate(nodes) if i not in deleted]
        out["links"] = [lk for lk in out["links"] if lk.get("a") not in gone and lk.get("b") not in gone]
    for added in delta.get("added_rows") or []:
        name = _cell("name", added.get("name")) or unique_name(out, "N")
        node = new_node(out, name, role=_cell("role", added.get("role")) or "repeater")
        for col, value in added.items():
            if col != "name":
                _set_node_field(node, col, value)
        out["nodes"].append(node)
    return out


def apply_link_delta(draft: Draft, delta: dict) -> Draft:
    out = copy.deepcopy(draft)
    links = out["links"]
    for idx_s, changes in (delta.get("edited_rows") or {}).items():
        idx = int(idx_s)
        if idx < len(links):
            for col, value in changes.items():
                links[idx][col] = _cell(col, value)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    out["links"] = [lk for i, lk in enumerate(links) if i not in deleted]
    for added in delta.get("added_rows") or []:
        link = new_link(out, _cell("a", added.get("a")) or "", _cell("b", added.get("b")) or "")
        for col, value in added.items():
            if col not in ("a", "b"):
                link[col] = _cell(col, value)
        out["links"].append(link)
    return out


def apply_request_delta(draft: Draft, delta: dict) -> Draft:
    out = copy.deepcopy(draft)
    reqs = out.setdefault("requests", [])
    for idx_s, changes in (delta.get("edited_rows") or {}).items():
        idx = int(idx_s)
        if idx < len(reqs):
            for col, value in changes.items():
                reqs[idx][col] = _cell(col, value)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    out["requests"] = [r for i, r in enumerate(reqs) if i not in deleted]
    names = {r.get("name") for r in out["requests"]}
    for added in delta.get("added_rows") or []:
        req = {"name": None, "src": None, "dst": None, "qos": "measure_directly"}
        req |= {col: _cell(col, value) for col, value in added.items()}
        if not req.get("name"):
            i = len(names) + 1
            while f"req{i}" in names:
                i += 1
            req["name"] = f"req{i}"
        names.add(req["name"])
        out["requests"].append(req)
    return out
