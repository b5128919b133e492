"""Bad input is rejected with a message naming the field path and the reason."""

from pathlib import Path

import pytest
import yaml

from qnp_engine.model import ScenarioError, load_scenario

GOOD = """\
name: t
defaults:
  link: {model: abstract, success_probability: 0.1, fidelity: 0.95}
nodes:
  - {name: A, role: end}
  - {name: R, role: repeater}
  - {name: B, role: end}
links:
  - {a: A, b: R}
  - {a: R, b: B}
requests:
  - {name: ab, src: A, dst: B, pairs: 10}
"""


def mutate(path: str, value) -> str:
    doc = yaml.safe_load(GOOD)
    target = doc
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is ...:
        del target[last]
    else:
        target[last] = value
    return yaml.safe_dump(doc, sort_keys=False)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    return [str(e) for e in info.value.errors]


def test_good_file_loads():
    s = load_scenario(GOOD)
    assert [n.name for n in s.topology.nodes] == ["A", "R", "B"]
    assert s.topology.links[1].fidelity == 0.95  # from defaults


CASES = [
    ("links.1.b", "C", "links[1].b: unknown node 'C'"),
    ("links.0.success_probability", 0, "links[0].success_probability: must be greater than 0"),
    ("links.0.success_probability", 1.5, "links[0].success_probability: must be less than or equal to 1"),
    ("links.0.fidelity", 0.1, "links[0].fidelity: must be greater than or equal to 0.25"),
    ("links.0.length_km", -3, "links[0].length_km: must be greater than or equal to 0"),
    ("links.0.model", "teleporter", "links[0].model: must be 'abstract', 'single_click' or 'double_click'"),
    ("links.0.colour", "red", "links[0].colour: unknown field"),
    ("links.1", {"a": "R", "b": "R"}, "links[1]: self-loop: both ends are 'R'"),
    ("links.1", {"a": "R", "b": "A"}, "links[1]: duplicate link R-A (also links[0])"),
    ("nodes.2.name", "A", "nodes[2].name: duplicate node name 'A' (also nodes[0])"),
    ("nodes.0.role", "router", "nodes[0].role: must be 'end' or 'repeater'"),
    ("nodes.0.memory", {"qubits_per_link": 0}, "nodes[0].memory.qubits_per_link: must be greater than or equal to 1"),
    ("nodes.0.memory", {"t1_s": 1.0, "t2_s": 5.0}, "nodes[0].memory: t2_s must not exceed 2 * t1_s"),
    ("nodes.0.lat", 52.0, "nodes[0]: lat and lon must be given together"),
    ("requests.0.dst", "A", "requests[0]: src and dst are the same node"),
    ("requests.0.dst", "R", "requests[0].dst: node 'R' is a repeater, not an end node"),
    ("requests.0.qos", "maybe", "requests[0].qos: must be 'measure_directly' or 'create_and_keep'"),
    ("requests.0.min_fidelity", 1.2, "requests[0].min_fidelity: must be less than or equal to 1"),
    ("requests.0.pairs", -5, "requests[0].pairs: must be greater than or equal to 1"),
    ("requests.0.priority", 3, "requests[0].priority: unknown field"),
    ("simulation", {"seed": -1}, "simulation.seed: must be greater than or equal to 0"),
    ("simulation", {"max_time": 3}, "simulation.max_time: unknown field"),
    ("defaults", {"link": {"fidelty": 0.9}}, "defaults.link.fidelty: unknown field"),
    ("name", ..., "name: required field is missing"),
    ("topology", "x", "topology: unknown field"),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES, ids=[c[2].split(":")[0] + "-" + str(i)
                                                                    for i, c in enumerate(CASES)])
def test_bad_input_names_field_and_reason(path, value, expected):
    msgs = errors_of(mutate(path, value))
    assert any(m.startswith(expected) for m in msgs), msgs


def test_errors_carry_yaml_line_numbers():
    msgs = errors_of(mutate("links.1.b", "C"))
    # links[1] is on line 10 of the dumped document; the message must point at it
    text = mutate("links.1.b", "C")
    line = next(i + 1 for i, ln in enumerate(text.splitlines()) if "b: C" in ln)
    assert any(f"(line {line})" in m for m in msgs), msgs


def test_request_with_no_path():
    doc = yaml.safe_load(GOOD)
    doc["nodes"].append({"name": "Z", "role": "end"})
    doc["requests"][0]["dst"] = "Z"
    msgs = errors_of(yaml.safe_dump(doc))
    assert any(m.startswith("requests[0]: no path between 'A' and 'Z'") for m in msgs), msgs


def test_physical_link_needs_length_or_coordinates():
    doc = yaml.safe_load(GOOD)
    doc["links"][0]["model"] = "single_click"
    msgs = errors_of(yaml.safe_dump(doc))
    assert any(m.startswith("links[0].length_km: required for model 'single_click'") for m in msgs), msgs


@pytest.mark.parametrize(("text", "expected"), [
    ("name: x\nnodes: [\n", "malformed YAML: line 3"),
    ("name: x\n  nodes: - a\n", "malformed YAML: line 2"),
    ("name: x\nnodes:\n\t- {name: A}\n", "malformed YAML: line 3"),
    ("- just\n- a list\n", "the file must contain a mapping"),
    ("", "the file must contain a mapping"),
    ("name: x\nnodes: 5\n", "nodes: must be a list"),
])
def test_malformed_documents(text, expected):
    msgs = errors_of(text)
    assert any(expected in m for m in msgs), msgs


def test_unreadable_file(tmp_path: Path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")


def test_every_error_is_reported_once_per_field():
    text = mutate("links.0.success_probability", 2).replace("fidelity: 0.95", "fidelity: 7")
    msgs = errors_of(text)
    assert len(msgs) == len(set(msgs))
    assert sum("success_probability" in m for m in msgs) == 1
