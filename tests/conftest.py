"""Suite-wide settings, applied before any test module imports the engine."""

from __future__ import annotations

import os

# The suite tests the engine's sources as they are: no compiled build from the developer's cache (a test that
# wants one builds its own, tests/qnp_engine/test_compiled_engine.py), and no background builds started by the
# app or the hub under test. `QNP_ENGINE_COMPILED=auto python -m pytest` runs the suite on the compiled engine.
os.environ.setdefault("QNP_ENGINE_COMPILED", "off")
