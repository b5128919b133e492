"""QNP Studio engine: a discrete-event simulator of the Quantum Network Protocol.

Layers follow the protocol stack (bottom up): ``model`` and ``kernel`` → ``physical`` and
``backends`` → ``link`` → ``network`` and ``control`` → ``apps`` → ``sim`` → ``qnn`` → ``cli``.
The engine knows nothing of storage or the UI. Typical use::

    from qnp_engine import load_scenario, Simulation
    sim = Simulation(load_scenario(Path("sample_topologies/chain-3.yaml")))
    for snapshot in sim.stream():      # live numbers, slice by slice
        ...
    result = sim.result()              # RunResult; result.to_dict() is the JSON schema
"""

from qnp_engine.compiled import activate as _activate_compiled

# Before any engine module: the hot modules come from a compiled build of these sources when there is one.
_activate_compiled()

from qnp_engine.control import RequestPlan, plan_requests  # noqa: E402
from qnp_engine.model import Scenario, ScenarioError, dump_scenario, load_scenario, scenario_from_dict  # noqa: E402
from qnp_engine.sim import RunResult, Simulation, Snapshot, run_scenario  # noqa: E402

__all__ = [
    "RequestPlan",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Snapshot",
    "dump_scenario",
    "load_scenario",
    "plan_requests",
    "run_scenario",
    "scenario_from_dict",
]
