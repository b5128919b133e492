"""'Verify with another engine': replaying a sample of delivered pairs leaves the run unchanged."""

from qnp_engine.sim import Simulation
from tests.scenarios import chain


def test_verify_with_qiskit_reports_agreement_and_does_not_perturb_the_run():
    scenario = chain(4, p=0.3, fidelity=0.95, t1_s=1.0, t2_s=0.5, pairs=25, seed=5, length_km=2.0)
    plain = Simulation(scenario).run().to_dict()
    verified = Simulation(scenario, verify_with="qiskit", verify_sample=4).run().to_dict()
    report = verified.pop("verification")
    assert report["checked"] == 4 and report["outcome_mismatches"] == 0
    assert report["max_fidelity_difference"] < 1e-9
    for d in (plain, verified):
        d.pop("wall_time_s")
    assert plain == verified
