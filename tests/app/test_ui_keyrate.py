"""The live map shows each circuit's QKD key rate next to its delivered fidelity (issue 10)."""

from pages.ui.maps import format_bits, run_map
from qnp_engine.apps import predicted_key_rate_hz


def test_circuit_hover_shows_key_rate_from_live_samples():
    draft = {"name": "t", "nodes": [{"name": "A", "role": "end", "x": 0, "y": 0},
                                    {"name": "B", "role": "end", "x": 1, "y": 0}],
             "links": [{"a": "A", "b": "B"}]}
    latest = {("request:ab", "fidelity"): 0.97, ("request:ab", "pairs_delivered"): 10.0,
              ("request:ab", "throughput_hz"): 1000.0}
    _, _, circuits, _ = run_map(draft, latest, {"ab": ["A", "B"]})
    expected = format_bits(predicted_key_rate_hz(0.97, 1000.0))
    assert f"QKD key rate ≈ {expected}" in circuits[0].hover
    assert 200 < predicted_key_rate_hz(0.97, 1000.0) < 400  # ~0.5 x (1 - 2h(0.02)) x 1 kHz


def test_no_key_rate_below_the_bbm92_threshold():
    assert predicted_key_rate_hz(0.8, 1000.0) == 0.0
    assert format_bits(0.0) == "0 bit/s" and format_bits(1234.0) == "1.23 kbit/s"
