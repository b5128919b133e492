"""Round trip: load(save(t)) == t for every sample and for edited scenarios; geo lengths."""

import math
from pathlib import Path

import pytest
import yaml

from qnp_engine.model import dump_scenario, load_scenario
from qnp_engine.model.geo import great_circle_km
from qnp_engine.model.yaml_io import scenario_to_dict

SAMPLES = sorted(Path(__file__).resolve().parents[3].joinpath("sample_topologies").glob("*.yaml"))


def test_there_are_the_promised_samples():
    names = {p.stem for p in SAMPLES}
    assert {"lab-link", "chain-3", "chain-5", "chain-9", "dumbbell", "metro-randstad", "random-100"} <= names


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_round_trips(path: Path):
    s = load_scenario(path)
    text = dump_scenario(s)
    assert load_scenario(text) == s
    assert dump_scenario(load_scenario(text)) == text  # the dump is stable too
    # libyaml's emitter (used when present) writes exactly what pure PyYAML writes.
    assert text == yaml.safe_dump(scenario_to_dict(s), sort_keys=False, default_flow_style=None, width=110)


def test_round_trip_keeps_values_that_differ_from_defaults():
    s = load_scenario(SAMPLES[0])
    topo = s.topology
    memory = topo.nodes[0].memory.model_copy(update={"qubits_per_link": 7})
    node = topo.nodes[0].model_copy(update={"x": 12.5, "memory": memory})
    link = topo.links[0].model_copy(update={"fidelity": 0.777, "length_km": 3.5})
    edited = s.model_copy(update={"topology": topo.model_copy(update={"nodes": [node, *topo.nodes[1:]],
                                                                     "links": [link, *topo.links[1:]]})})
    again = load_scenario(dump_scenario(edited))
    assert again.topology.links[0].fidelity == 0.777
    assert again.topology.links[0].length_km == 3.5
    assert again.topology.nodes[0].x == 12.5
    assert again.topology.nodes[0].memory.qubits_per_link == 7
    assert again == edited


def test_infinite_times_survive():
    s = load_scenario(Path(SAMPLES[0].parent / "chain-3.yaml"))
    assert math.isinf(s.topology.nodes[0].memory.t2_s)
    assert math.isinf(load_scenario(dump_scenario(s)).topology.nodes[0].memory.t2_s)


def test_great_circle_known_distance():
    # Delft to Amsterdam: about 54 km in a straight line.
    assert great_circle_km(52.0116, 4.3571, 52.3676, 4.9041) == pytest.approx(54.0, abs=1.0)
    # a quarter of the equator
    assert great_circle_km(0, 0, 0, 90) == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-9)


def test_metro_lengths_come_from_coordinates():
    s = load_scenario(SAMPLES[0].parent / "metro-randstad.yaml")
    topo = s.topology
    link = topo.links[0]
    a, b = topo.node(link.a), topo.node(link.b)
    assert link.length_km is None
    assert topo.link_length_km(link) == pytest.approx(great_circle_km(a.lat, a.lon, b.lat, b.lon))
