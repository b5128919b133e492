"""Plain pytest for the designer's draft and its table conversions (pages/ui/draft.py, tables.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pages.ui.draft import (
    draft_from_yaml,
    empty_draft,
    error_lines,
    push_undo,
    remove_nodes,
    rename_node,
    to_yaml,
    unique_name,
    validate,
)
from pages.ui.tables import apply_link_delta, apply_node_delta, apply_request_delta, link_rows, node_rows
from qnp_engine.model import ScenarioError, load_scenario

SAMPLES = sorted(Path("sample_topologies").glob("*.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_round_trips_through_the_draft(path: Path) -> None:
    original = load_scenario(path)
    draft = draft_from_yaml(path.read_text())
    scenario, errors = validate(draft)
    assert errors == []
    assert scenario == original
    assert load_scenario(to_yaml(draft)) == original


def test_a_bad_file_still_gets_yaml_line_numbers() -> None:
    """The fast (libyaml) path falls back to ``load_scenario`` for a file that does not load."""
    text = "name: broken\nnodes:\n  - {name: A}\nlinks:\n  - {a: A, b: C}\n"
    with pytest.raises(ScenarioError) as exc:
        draft_from_yaml(text)
    assert any("unknown node 'C'" in str(e) and "(line 5)" in str(e) for e in exc.value.errors), exc.value.errors
    with pytest.raises(ScenarioError, match="malformed YAML: line 2"):
        draft_from_yaml("name: [unclosed\n")


def chain() -> dict:
    return draft_from_yaml(Path("sample_topologies/chain-3.yaml").read_text())


def test_negative_length_is_kept_and_reported_by_field() -> None:
    draft = apply_link_delta(chain(), {"edited_rows": {1: {"length_km": -5.0}}})
    assert draft["links"][1]["length_km"] == -5.0  # nothing lost: the bad value stays in the editor
    scenario, errors = validate(draft)
    assert scenario is None
    lines = error_lines(draft, errors)
    assert any(line.startswith("links[1] (R–B) · length_km:") and "greater than or equal to 0" in line
               for line in lines), lines


def test_renaming_a_node_in_the_table_renames_links_and_requests() -> None:
    draft = apply_node_delta(chain(), {"edited_rows": {"0": {"name": "Alice"}}})
    assert [n["name"] for n in draft["nodes"]] == ["Alice", "R", "B"]
    assert draft["links"][0]["a"] == "Alice"
    assert draft["requests"][0]["src"] == "Alice"
    assert validate(draft)[1] == []


def test_node_table_memory_fields_and_infinity() -> None:
    df = node_rows(chain())
    assert list(df["name"]) == ["A", "R", "B"]
    assert df["t1_s"].isna().all()  # inf shows as an empty cell
    draft = apply_node_delta(chain(), {"edited_rows": {1: {"t1_s": 2.0, "t2_s": 1.0, "qubits_per_link": 3.0}}})
    mem = draft["nodes"][1]["memory"]
    assert mem == {"qubits_per_link": 3, "t1_s": 2.0, "t2_s": 1.0, "depolarizing_time_s": math.inf}
    cleared = apply_node_delta(draft, {"edited_rows": {1: {"t1_s": None, "t2_s": None}}})
    assert math.isinf(cleared["nodes"][1]["memory"]["t1_s"])
    assert validate(cleared)[1] == []


def test_added_and_deleted_rows() -> None:
    draft = apply_node_delta(chain(), {"added_rows": [{"name": "C", "role": "end", "x": 3.0, "y": 0.0}]})
    draft = apply_link_delta(draft, {"added_rows": [{"a": "B", "b": "C", "model": "abstract"}]})
    assert validate(draft)[1] == []
    assert draft["links"][-1]["fidelity"] == 0.95  # the new link inherits the file's link defaults
    draft = apply_node_delta(draft, {"deleted_rows": [1]})  # delete R: its links go too
    assert [n["name"] for n in draft["nodes"]] == ["A", "B", "C"]
    assert [(lk["a"], lk["b"]) for lk in draft["links"]] == [("B", "C")]
    scenario, errors = validate(draft)
    assert scenario is None and any("no path between 'A' and 'B'" in e.message for e in errors)


def test_request_rows_add_edit_delete() -> None:
    draft = apply_request_delta(chain(), {"added_rows": [{"src": "B", "dst": "A", "min_fidelity": 0.7}]})
    assert draft["requests"][-1]["name"] == "req2"
    assert validate(draft)[1] == []
    bad = apply_request_delta(draft, {"edited_rows": {0: {"dst": "R"}}})
    assert any(e.path == "requests[0].dst" and "repeater" in e.message for e in validate(bad)[1])
    gone = apply_request_delta(draft, {"deleted_rows": [0, 1]})
    assert gone["requests"] == []


def test_link_rows_columns() -> None:
    df = link_rows(chain())
    assert list(df["a"]) == ["A", "R"] and list(df["length_km"]) == [10.0, 15.0]


def test_helpers() -> None:
    d = chain()
    assert unique_name(d, "A") == "A1" and unique_name(d, "new node!") == "new_node"
    assert validate(empty_draft())[1][0].path == "nodes"
    assert rename_node(d, "R", "X")["links"][1]["a"] == "X"
    assert [n["name"] for n in remove_nodes(d, {"B"})["nodes"]] == ["A", "R"]
    stack: list = []
    for i in range(40):
        stack = push_undo(stack, {"i": i})
    assert len(stack) == 30 and stack[-1] == {"i": 39}
