"""The flow's outcome events (every clean label fitted, test error within a tolerance) and
extra checkpoint times, checked against the recorded checkpoints (an independent evaluation
of the same quantities at fixed times)."""

import numpy as np
import pytest

from numerics.flow import FlowEvents, FlowOptions, flow_times, run_flow
from theory.params import ProblemParams


# Settings (seed 1) where the events happen strictly after tau = 0: a clean label unfitted at
# p = 0 (||mu|| = 1), a test sample misclassified at p = 0 (||mu|| = 10, error tolerance 0).
@pytest.mark.parametrize("mu, name", [(1.0, "all_clean_fitted"), (10.0, "test_error_within_tolerance")])
def test_outcome_events_agree_with_the_checkpoints(mu, name):
    params = ProblemParams(
        n_train=6, seq_len=4, dim=300, n_test=80, signal_norm=mu, init="gaussian", draw="latent", seed=1
    )
    options = FlowOptions(horizon=1e4, checkpoints=200, rtol=1e-9, atol=1e-12)
    run = run_flow(params, options=options, events=FlowEvents(test_error_tolerance=0.0))
    times, events = run.arrays["time"], run.stats["events"]
    assert events[name] is not None and events[name] > 0
    for name, holds in (
        ("all_clean_fitted", run.arrays["train_acc_clean"] >= 1),
        ("test_error_within_tolerance", run.arrays["test_acc"] >= 1),
    ):
        first = events[name]
        if first is None:
            assert not holds.any(), name
        else:
            # Never before the event; at the first checkpoint where it holds, not before it either.
            assert not holds[times < first * (1 - 1e-9)].any(), name
            if holds.any():
                assert times[np.argmax(holds)] >= first * (1 - 1e-9), name


def test_extra_checkpoints_are_merged():
    options = FlowOptions(horizon=100.0, checkpoints=3, first_checkpoint=1.0, extra_checkpoints=(5.0, 100.0, 5.0))
    np.testing.assert_array_equal(flow_times(options), [0.0, 1.0, 5.0, 10.0, 100.0])
    for bad in ((0.0,), (1e3,), (float("nan"),)):
        with pytest.raises(ValueError, match="extra checkpoint"):
            FlowOptions(horizon=100.0, extra_checkpoints=bad)
    with pytest.raises(ValueError, match="test_error_tolerance"):
        FlowEvents(test_error_tolerance=1.0)
