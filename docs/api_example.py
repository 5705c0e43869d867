"""A worked example of the Python API, in notebook cells (``# %%``: Jupyter, VS Code and
Spyder run them one by one). As a script: ``python docs/api_example.py [OUT_DIR]`` writes its
figures to OUT_DIR (default: ``api-example``).

The question: at the paper's balanced setting (d = 2000, ||mu|| = 20, n = 20, T = 8), what does
the theory predict, what does gradient descent do in 1000 steps, and what does the gradient
flow do long after, when generalisation arrives (v3 Figure 3, and the delayed generalisation
of the abstract)?
"""

# %% Imports: nothing heavy is loaded until a name is used.
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from numerics import FlowOptions
from theory import ProblemParams, predict
from verify import Trajectory, attention_panel, check, dynamics_figure, integrate, simulate

out = Path(sys.argv[1] if len(sys.argv) > 1 else "api-example")
out.mkdir(parents=True, exist_ok=True)

# %% The setting and the theory's prediction (no simulation).
# The paper leaves the constants of its regime conditions open: without them the regime is
# "undetermined", and the prediction says which constants are missing.
params = ProblemParams(dim=2000, signal_norm=20.0)
prediction = predict(params)
print(
    f"n SNR^2 = {prediction.n_snr_squared:g}; regime {prediction.regime} "
    f"(missing constants: {', '.join(prediction.missing_constants)})"
)
print("loss plateaus:", {name: round(value, 4) for name, value in prediction.plateaus.items()})

# %% Gradient descent: 1000 steps of size 5e-3, the paper's experiment.
run = simulate(params)
print(
    f"GD: {run.status.value}; after {len(run.time) - 1} steps train acc {run.train_acc[-1]:.3f} "
    f"({run.noisy.sum()} of {params.n_train} labels flipped), test acc {run.test_acc[-1]:.3f}"
)

# %% Classify the run and check it against the theory.
report = check(run)
print("verdict:", report.verdict, "-", report.classification.reasons[0])
print("noisy samples fitted:", report.classification.outcome["noisy_fitted_fraction"])
print("noisy samples attend to:", report.classification.mechanism["noisy_role_counts"])
print("checks failed:", report.failed_checks or "none")

# %% The gradient flow, to tau = 1e6 in log time: where the delayed generalisation shows.
flow = integrate(params, options=FlowOptions(horizon=1e6))
flow_report = check(flow)
timeline = flow_report.classification.timeline
print(
    f"flow: {flow_report.verdict}; all labels fitted at tau = {timeline['time_all_fitted']:.3g}, "
    f"generalised at tau = {timeline['time_generalized'] or 'not yet'}"
)

# %% Figures: the paper's Figure 3 as a Figure, and one sample on an Axes of our own.
fig = dynamics_figure([run, flow], ["gradient descent, 1000 steps", "gradient flow to tau = 1e6"])
fig.savefig(out / "dynamics.png")
# A figure made with pyplot (or any Figure) works the same way: the API draws on the Axes.
mine = Figure(figsize=(4, 3))
attention_panel(flow, int(np.flatnonzero(flow.noisy)[0]), ax=mine.subplots())
mine.savefig(out / "noisy_sample.png")
print(f"wrote {out / 'dynamics.png'} and {out / 'noisy_sample.png'}")

# %% Save the run, load it back: the same files `benign-attn run` writes.
run.save(out)
again = Trajectory.load(out)
assert np.array_equal(again.test_loss, run.test_loss) and again.params == run.params
print("saved and reloaded", out / "trajectory.npz")
