"""The designer's working copy of a scenario: a plain file-format dict that may be invalid.

UI layer, pure (no ``st.*``). Every editor (canvas, tables, inspector, requests form) changes this
dict; ``validate`` turns it into a ``Scenario`` or field-named errors. Keeping the draft as data
rather than a validated model is what lets a bad value (a negative length) sit in the editor with
an inline message instead of being rejected and lost.

Nodes and links are stored *expanded* (every field present, defaults applied), so tables show
effective values; ``dump_scenario`` of the validated scenario removes what the defaults repeat.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from enum import Enum
from typing import Any

import yaml

from qnp_engine.model import (
    FieldError,
    LinkSpec,
    NodeSpec,
    Scenario,
    ScenarioError,
    dump_scenario,
    load_scenario,
    scenario_from_dict,
)

Draft = dict[str, Any]
NAME_RE = re.compile(r"[^A-Za-z0-9_.\-]+")
UNDO_DEPTH = 30


def plain(value: Any) -> Any:
    """Enums to their values, recursively; everything else unchanged."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def draft_from_scenario(scenario: Scenario) -> Draft:
    topo = scenario.topology
    return {
        "name": topo.name,
        "description": topo.description,
        "defaults": plain(topo.defaults.model_dump()),
        "nodes": [plain(n.model_dump()) for n in topo.nodes],
        "links": [plain(lk.model_dump()) for lk in topo.links],
        "requests": [plain(r.model_dump()) for r in scenario.requests],
        "simulation": plain(scenario.simulation.model_dump()),
    }


def scenario_from_yaml(text: str) -> Scenario:
    """``load_scenario`` with libyaml's C parser when it is there: a 100-node file parses in ~10 ms instead of
    ~90 ms, which the designer and the Run page pay on every open. A file that does not load goes through
    ``load_scenario`` again, whose errors carry YAML line numbers. Raises ``ScenarioError``."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return load_scenario(text)
    try:
        return scenario_from_dict(yaml.load(text, Loader=loader))  # noqa: S506 - CSafeLoader is the safe loader
    except (yaml.YAMLError, ScenarioError):
        return load_scenario(text)


def draft_from_yaml(text: str) -> Draft:
    """Raises ``ScenarioError`` (field-named, with line numbers) for a bad file."""
    return draft_from_scenario(scenario_from_yaml(text))


def empty_draft(name: str = "new-network") -> Draft:
    # New links default to 10 km of fibre: a length worth drawing (and the physical models need one).
    return {"name": name, "description": "", "defaults": {"link": {"length_km": 10.0}, "node": {}}, "nodes": [],
            "links": [],
            "requests": [], "simulation": {"seed": 1, "max_time_s": 10.0}}


def _drop_none(d: dict) -> dict:
    # The format has no nulls for optional numbers: an absent key means "not set".
    return {k: (_drop_none(v) if isinstance(v, dict) else v) for k, v in d.items() if v is not None}


def to_document(draft: Draft) -> dict:
    """The draft as a document ``scenario_from_dict`` accepts (None fields removed)."""
    doc = copy.deepcopy(draft)
    for key in ("nodes", "links", "requests"):
        doc[key] = [_drop_none(item) if isinstance(item, dict) else item for item in doc.get(key) or []]
    doc["simulation"] = _drop_none(doc.get("simulation") or {})
    if not doc.get("description"):
        doc.pop("description", None)
    return doc


def link_documents(draft: Draft) -> list:
    """The draft's links as ``to_document`` gives them, without copying the whole draft (read-only use)."""
    return [_drop_none(lk) if isinstance(lk, dict) else lk for lk in draft.get("links") or []]


def fingerprint(draft: Draft) -> str:
    text = json.dumps(draft, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def validate(draft: Draft) -> tuple[Scenario | None, list[FieldError]]:
    """The validated scenario, or None and every problem with its field path."""
    if not draft.get("nodes"):
        return None, [FieldError("nodes", "the network has no nodes yet: add one on the canvas or in the Nodes table")]
    try:
        return scenario_from_dict(to_document(draft)), []
    except ScenarioError as exc:
        return None, exc.errors


def to_yaml(draft: Draft) -> str:
    """YAML of a valid draft; raises ``ScenarioError`` otherwise."""
    scenario, errors = validate(draft)
    if scenario is None:
        raise ScenarioError(errors)
    return dump_scenario(scenario)


def describe_path(draft: Draft, path: str) -> str:
    """``links[1].length_km`` -> ``links[1] (R–B) · length_km``: users know names, not indices."""
    m = re.match(r"^(nodes|links|requests)\[(\d+)\](.*)$", path)
    if not m:
        return path
    kind, index, rest = m.group(1), int(m.group(2)), m.group(3).lstrip(".")
    items = draft.get(kind) or []
    label = ""
    if index < len(items) and isinstance(items[index], dict):
        item = items[index]
        label = f"{item.get('a')}–{item.get('b')}" if kind == "links" else str(item.get("name", ""))
    head = f"{kind}[{index}]" + (f" ({label})" if label else "")
    return f"{head} · {rest}" if rest else head


def error_lines(draft: Draft, errors: list[FieldError]) -> list[str]:
    return [f"{describe_path(draft, e.path)}: {e.message}" if e.path else e.message for e in errors]


def errors_for(errors: list[FieldError], kind: str) -> list[FieldError]:
    """Errors whose path starts with ``kind`` (``nodes``, ``links``, ``requests``, ``simulation``)."""
    return [e for e in errors if e.path == kind or e.path.startswith((f"{kind}[", f"{kind}."))]


# ----------------------------------------------------------------------------- defaults and new items


def node_defaults(draft: Draft) -> dict:
    raw = ((draft.get("defaults") or {}).get("node")) or {}
    try:
        return plain(NodeSpec.model_validate({"name": "x", **raw}).model_dump(exclude={"name"}))
    except ValueError:
        return plain(NodeSpec(name="x").model_dump(exclude={"name"}))


def link_defaults(draft: Draft) -> dict:
    raw = ((draft.get("defaults") or {}).get("link")) or {}
    try:
        return plain(LinkSpec.model_validate({"a": "x", "b": "y", **raw}).model_dump(exclude={"a", "b"}))
    except ValueError:
        return plain(LinkSpec(a="x", b="y").model_dump(exclude={"a", "b"}))


def clean_name(text: str) -> str:
    """A valid node name from free text typed in the canvas dialog."""
    return NAME_RE.sub("_", (text or "").strip())[:64].strip("_")


def unique_name(draft: Draft, wanted: str, prefix: str = "N") -> str:
    names = {n.get("name") for n in draft.get("nodes") or []}
    base = clean_name(wanted) or prefix
    if base not in names:
        return base
    i = 1
    while f"{base}{i}" in names:
        i += 1
    return f"{base}{i}"


def new_node(draft: Draft, name: str, role: str = "repeater", x: float | None = None, y: float | None = None,
             lat: float | None = None, lon: float | None = None) -> dict:
    return {**node_defaults(draft), "name": name, "role": role, "x": x, "y": y, "lat": lat, "lon": lon}


def new_link(draft: Draft, a: str, b: str) -> dict:
    return {**link_defaults(draft), "a": a, "b": b}


def add_node(draft: Draft, node: dict) -> Draft:
    out = copy.deepcopy(draft)
    out["nodes"].append(node)
    return out


def add_link(draft: Draft, a: str, b: str) -> Draft:
    out = copy.deepcopy(draft)
    out["links"].append(new_link(draft, a, b))
    return out


def remove_nodes(draft: Draft, names: set[str]) -> Draft:
    """Drop nodes and their links. Requests that name them stay, so validation points at them."""
    out = copy.deepcopy(draft)
    out["nodes"] = [n for n in out["nodes"] if n.get("name") not in names]
    out["links"] = [lk for lk in out["links"] if lk.get("a") not in names and lk.get("b") not in names]
    return out


def rename_node(draft: Draft, old: str, new: str) -> Draft:
    """Rename a node everywhere it is referenced (links, requests)."""
    out = copy.deepcopy(draft)
    for n in out["nodes"]:
        if n.get("name") == old:
            n["name"] = new
    for lk in out["links"]:
        for end in ("a", "b"):
            if lk.get(end) == old:
                lk[end] = new
    for r in out.get("requests") or []:
        for end in ("src", "dst"):
            if r.get(end) == old:
                r[end] = new
    return out


def finite_or_none(value: Any) -> float | None:
    """Table cells show 'no decay' (inf) as empty; NaN from pandas is also 'not set'."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def push_undo(stack: list[Draft], draft: Draft) -> list[Draft]:
    return [*stack[-(UNDO_DEPTH - 1):], copy.deepcopy(draft)]
