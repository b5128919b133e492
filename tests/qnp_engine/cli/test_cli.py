"""The ``qnp`` command line: validate, schema, show, simulate (exit codes and output)."""

import json
from pathlib import Path

import jsonschema
import yaml
from typer.testing import CliRunner

from qnp_engine.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = sorted((ROOT / "sample_topologies").glob("*.yaml"))
runner = CliRunner()


def test_validate_accepts_every_sample():
    result = runner.invoke(app, ["validate", *map(str, SAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (") == len(SAMPLES)


def test_validate_rejects_with_field_named_messages(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nnodes:\n  - {name: A, role: end}\nlinks:\n  - {a: A, b: C}\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "links[0].b: unknown node 'C' (line 5)" in result.output
    assert "Traceback" not in result.output


def test_schema_is_valid_json_schema_and_accepts_samples():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in SAMPLES:
        doc = yaml.safe_load(path.read_text())
        jsonschema.validate(doc, schema)
    assert set(schema["properties"]) >= {"name", "nodes", "links", "requests", "simulation", "defaults"}


def test_show_prints_links_and_routes():
    result = runner.invoke(app, ["show", str(ROOT / "sample_topologies" / "chain-5.yaml")])
    assert result.exit_code == 0, result.output
    assert "A-R1" in result.output and "single_click" in result.output
    assert "path A - R1 - R2 - R3 - B (4 hops)" in result.output
    assert "feasible" in result.output


def test_simulate_json_is_reproducible(tmp_path: Path):
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    args = ["simulate", str(ROOT / "sample_topologies" / "dumbbell.yaml"), "--pairs", "50", "--seed", "7"]
    assert runner.invoke(app, [*args, "--json", str(out1)]).exit_code == 0
    assert runner.invoke(app, [*args, "--json", str(out2)]).exit_code == 0
    a, b = json.loads(out1.read_text()), json.loads(out2.read_text())
    a.pop("wall_time_s")
    b.pop("wall_time_s")
    assert a == b
    assert a["seed"] == 7
    assert [r["pairs_delivered"] for r in a["requests"]] == [50, 50]
    assert set(a["requests"][0]) >= {"name", "src", "dst", "pairs_delivered", "throughput_hz", "fidelity_mean",
                                     "fidelity_ci95", "latency_mean_s", "latency_p95_s", "pairs_expired",
                                     "estimated_fidelity"}
    assert 0 < a["jain_fairness"] <= 1


def test_simulate_reports_unknown_engine_clearly():
    result = runner.invoke(app, ["simulate", str(SAMPLES[0]), "--engine", "abacus"])
    assert result.exit_code == 2
    assert "unknown engine 'abacus'" in result.output


def test_simulate_says_when_it_ran_pure_python_and_why(monkeypatch, tmp_path: Path):
    from qnp_engine.compiled import CACHE_ENV, MODE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # an empty cache: this process runs pure Python (conftest)
    args = ["simulate", str(ROOT / "sample_topologies" / "chain-3.yaml"), "--max-time", "0.01", "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith("engine: pure Python (QNP_ENGINE_COMPILED=off)")
    monkeypatch.setenv(MODE_ENV, "auto")
    result = runner.invoke(app, args)
    assert "engine: pure Python: no compiled build for these sources yet (`qnp compile` builds one)" in result.stderr
