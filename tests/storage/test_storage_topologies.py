"""Saved topologies: versioning, conflicts, validation, and a corrupted stored YAML that harms nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qnp_engine.model import ScenarioError
from storage.errors import StoredTopologyInvalid, TopologyNotFound, VersionConflict
from storage.topologies import delete_topology, get_topology, list_topologies, load_topology, save_topology
from tests.storage.storage_testkit import chain_yaml


def test_saving_the_same_name_bumps_the_version_and_keeps_created(engine):
    first = save_topology(engine, "lab", chain_yaml(seed=1))
    second = save_topology(engine, "lab", chain_yaml(seed=2), expected_version=1)
    assert (first.version, second.version) == (1, 2)
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert load_topology(engine, "lab").simulation.seed == 2
    assert [t.name for t in list_topologies(engine)] == ["lab"]


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(engine):
    save_topology(engine, "lab", chain_yaml(seed=1))
    save_topology(engine, "lab", chain_yaml(seed=2))
    with pytest.raises(VersionConflict, match="version 2, not 1"):
        save_topology(engine, "lab", chain_yaml(seed=3), expected_version=1)
    with pytest.raises(VersionConflict):
        save_topology(engine, "new", chain_yaml(), expected_version=4)
    assert get_topology(engine, "lab").version == 2
    assert load_topology(engine, "lab").simulation.seed == 2


def test_invalid_yaml_is_refused_with_field_errors_unless_saved_as_draft(engine):
    bad = chain_yaml().replace("{a: R, b: B", "{a: R, b: C")
    with pytest.raises(ScenarioError, match=r"links\[1\]\.b"):
        save_topology(engine, "lab", bad)
    assert list_topologies(engine) == []
    draft = save_topology(engine, "draft", bad, validate=False)
    assert draft.version == 1
    with pytest.raises(ValueError, match="non-empty name"):
        save_topology(engine, "  ", chain_yaml())


def test_corrupted_stored_yaml_gives_a_clear_error_and_loses_nothing_else(engine):
    save_topology(engine, "good", chain_yaml(seed=5))
    save_topology(engine, "broken", chain_yaml())
    with engine.begin() as conn:  # e.g. a disk or hand edit mangled the text
        conn.execute(text("UPDATE saved_topology SET yaml = :y WHERE name = 'broken'"),
                     {"y": "name: broken\nnodes: [ {name: A\nlinks: ]"})
    with pytest.raises(StoredTopologyInvalid) as info:
        load_topology(engine, "broken")
    message = str(info.value)
    assert "saved topology 'broken' (version 1) cannot be loaded" in message
    assert "malformed YAML: line" in message
    assert load_topology(engine, "good").simulation.seed == 5
    assert [t.name for t in list_topologies(engine)] == ["broken", "good"]
    # The broken one can still be read as text (to repair it) and replaced.
    assert get_topology(engine, "broken").yaml.startswith("name: broken")
    assert save_topology(engine, "broken", chain_yaml()).version == 2
    assert load_topology(engine, "broken").name == "chain-3"


def test_unknown_names_and_delete(engine):
    save_topology(engine, "a", chain_yaml())
    save_topology(engine, "b", chain_yaml())
    delete_topology(engine, "a")
    assert [t.name for t in list_topologies(engine)] == ["b"]
    for call in (get_topology, load_topology, delete_topology):
        with pytest.raises(TopologyNotFound, match="saved topology 'a' not found"):
            call(engine, "a")
