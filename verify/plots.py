"""Publication figures (the only module that imports matplotlib).

Paper: Figure 3 (attention dynamics of a clean and a noisy sample, with train/test loss and
accuracy), Figure 5 (phase diagram), v1 Figure 1 (existence construction), and the g-function
growth, delayed generalisation and loss plateaus (derivations/growth.py, derivations/plateaus.py).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from numerics.metrics import ROLE_NAMES, role_attention
from theory.roles import token_roles
from theory.validation import InputError
from verify.files import atomic_write_bytes
from verify.trajectory import Trajectory

__all__ = [
    "setting_title",
    "attention_panel",
    "dynamics_figure",
    "regime_map_figure",
    "regime_map_sensitivity_figure",
    "local_exponents_figure",
    "noisy_fit_time_figure",
    "phase_figure",
    "existence_figure",
    "gaps_figure",
    "delay_figure",
    "plateaus_figure",
    "save_figure",
    "label_noise_figure",
    "v1_grid_figure",
]

ROLE_LABELS = {
    "relevant": "relevant $\\mathcal{R}$",
    "weak_aligned": "weakly rel. aligned $\\mathcal{W}_{y^*}$",
    "weak_opposite": "weakly rel. opposite $\\mathcal{W}_{-y^*}$",
    "irrelevant": "irrelevant $\\mathcal{I}$ (sum)",
}
ROLE_COLORS = {"relevant": "C0", "weak_aligned": "C2", "weak_opposite": "C3", "irrelevant": "0.5"}

#: The figures' style, applied inside each figure function: importing this module or drawing a
#: figure leaves matplotlib's global settings (and backend) as the user set them.
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 7,
    "figure.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _styled(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def _subplots(*grid: int, figsize: tuple[float, float], **kwargs):
    """A new ``Figure`` and its grid of axes, like ``pyplot.subplots`` but unknown to pyplot: no
    global figure registry, no backend chosen, nothing to close."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*grid, **kwargs)


def _time_axis(trajectory: Trajectory) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """x values, which checkpoints to draw, the axis label, and whether the axis is logarithmic.

    GD runs are drawn over steps; flows over tau on a log axis (their checkpoints are log-spaced
    over many decades), leaving out tau = 0.
    """
    a = trajectory.arrays
    if "step" in a:
        x = np.asarray(a["step"])
        return x, np.ones(len(x), dtype=bool), "GD step", False
    x = np.asarray(a["time"], dtype=np.float64)
    return x, x > 0, "time $\\tau$", True


def setting_title(params, verdict: str | None = None) -> str:
    """ "d = 2000, ||mu|| = 20, n = 20, T = 8: benign" in mathtext."""
    text = (
        f"$d = {params.dim}$, $\\|\\mu\\| = {params.signal_norm:g}$, $n = {params.n_train}$, "
        f"$T = {params.seq_len}$, $\\eta = {params.label_noise:g}$"
    )
    return text + (f": {verdict.replace('_', ' ')}" if verdict else "")


@_styled
def attention_panel(trajectory: Trajectory, sample: int, *, ax=None):
    """The attention mass of training sample ``sample`` on each token role over training.

    Draws on ``ax`` (a matplotlib ``Axes``) or, without one, on a new ``Figure``; returns the
    ``Axes``. matplotlib's global state is left alone (no pyplot, the style in a context).

    Paper: Figure 3 (attention of a clean and of a noisy sample by token role).

    Examples
    --------
    >>> from theory import ProblemParams
    >>> from verify import simulate
    >>> run = simulate(ProblemParams(dim=200, n_test=50, steps=20))
    >>> ax = attention_panel(run, 0)
    >>> ax.get_title(), len(ax.get_lines())
    ('noisy sample #0: attention', 4)
    """
    if ax is None:
        _, ax = _subplots(figsize=(4.0, 3.0))
    x, keep, xlabel, log_x = _time_axis(trajectory)
    roles = role_attention(
        np.asarray(trajectory.arrays["attention_train"])[keep][:, sample], token_roles(trajectory.params)
    )
    for k, role in enumerate(ROLE_NAMES):
        ax.plot(x[keep], roles[:, k], color=ROLE_COLORS[role], label=ROLE_LABELS[role])
    ax.set_title(f"{'noisy' if trajectory.noisy[sample] else 'clean'} sample #{sample}: attention")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    if log_x:
        ax.set_xscale("log")
    return ax


@_styled
def dynamics_figure(trajectories: Sequence[Trajectory], titles: Sequence[str] | None = None):
    """One row per trajectory: attention of a clean and of a noisy sample by token role,
    train/test loss, train/test accuracy. ``titles`` (default: the setting of each row) head
    the rows.

    Paper: Figure 3.
    """
    rows = len(trajectories)
    titles = [setting_title(t.params) for t in trajectories] if titles is None else titles
    fig = Figure(figsize=(11, 2.5 * rows + 0.4), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(rows, 1))  # type: ignore[arg-type]  # stubs: a SubFigure is not array-like
    for subfig, trajectory, title in zip(subfigs, trajectories, titles):
        axes = subfig.subplots(1, 4)
        subfig.suptitle(title, fontsize=10)
        x, keep, xlabel, log_x = _time_axis(trajectory)
        x = x[keep]
        noisy = trajectory.noisy
        samples = [("clean", np.flatnonzero(~noisy)), ("noisy", np.flatnonzero(noisy))]
        for ax, (kind, indices) in zip(axes[:2], samples):
            if indices.size == 0:
                ax.text(0.5, 0.5, f"no {kind} samples", ha="center", transform=ax.transAxes)
                ax.set_ylim(-0.02, 1.02)
            else:
                attention_panel(trajectory, int(indices[0]), ax=ax)
        axes[0].set_ylabel("attention mass")
        a = {
            name: np.asarray(trajectory.arrays[name])[keep]
            for name in ("train_loss", "test_loss", "train_acc", "test_acc")
        }
        for ax, metric in zip(axes[2:], ("loss", "acc")):
            ax.plot(x, a[f"train_{metric}"], label="train")
            ax.plot(x, a[f"test_{metric}"], label="test")
            ax.set_title("loss" if metric == "loss" else "accuracy")
            ax.legend()
        for ax in axes:
            ax.set_xlabel(xlabel)
            if log_x:
                ax.set_xscale("log")
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    return fig


@_styled
def phase_figure(result, analysis: dict, *, constants: Sequence[float] = ()):
    """Heatmaps of final train loss, test loss and observed regime over (d, ||mu||), with the
    boundary curves n ||mu||^2 / d = C for the given constants and the fitted one.

    The fitted curve is drawn only over the range of d where boundary points were found.

    Paper: Figure 5 (phase diagram) and v3 Figure 1 (boundary n SNR^2 ~ 1).
    """
    from verify.experiments.phase import regime_grid

    dims, mus, regimes = regime_grid(result)
    transpose = [name for name, _ in result.axes][0] != "dim"
    n = result.spec.base.n_train
    codes = {"harmful": 0, "benign": 1, "not_overfitting": 2, "undetermined": 3, "failed": 4, "missing": 4}
    # Every panel as (d, ||mu||); imshow wants rows along ||mu|| (y) and columns along d (x).
    losses = [result.mean(name).T if transpose else result.mean(name) for name in ("train_loss", "test_loss")]
    panels = [
        ("final train loss", losses[0]),
        ("final test loss", losses[1]),
        ("observed regime", np.vectorize(codes.get)(regimes).astype(float)),
    ]
    fig, axes = _subplots(1, 3, figsize=(12, 3.4))
    extent = [dims[0], dims[-1], mus[0], mus[-1]]
    fit = analysis.get("boundary_fit", {}) if isinstance(analysis, dict) else {}
    fitted = fit.get("fitted_C")
    curve_d = np.linspace(dims[0], dims[-1], 200)
    # The fitted curve is drawn only over the d range of the boundary points it was fitted to.
    points = np.asarray(fit.get("points") or [[np.nan, np.nan]], dtype=float)
    fitted_d = (
        curve_d[(curve_d >= np.nanmin(points[:, 0])) & (curve_d <= np.nanmax(points[:, 0]))] if fitted else curve_d[:0]
    )
    for ax, (title, values) in zip(axes, panels):
        grid = values
        if title == "observed regime":
            cmap = matplotlib.colors.ListedColormap(["C3", "C2", "C0", "0.8", "k"])
            image = ax.imshow(
                grid.T,
                origin="lower",
                aspect="auto",
                extent=extent,
                cmap=cmap,
                vmin=-0.5,
                vmax=4.5,
                interpolation="nearest",
            )
            bar = fig.colorbar(image, ax=ax, ticks=range(5))
            bar.ax.set_yticklabels(["harmful", "benign", "not overfit.", "undet.", "failed"])
        else:
            image = ax.imshow(
                grid.T, origin="lower", aspect="auto", extent=extent, cmap="viridis", interpolation="nearest"
            )
            fig.colorbar(image, ax=ax)
        for k, C in enumerate(constants):
            ax.plot(
                curve_d, np.sqrt(C * curve_d / n), "w--", lw=1, label=f"$n\\|\\mu\\|^2/d = {C:g}$" if k == 0 else None
            )
        if fitted_d.size:
            ax.plot(
                fitted_d,
                np.sqrt(fitted * fitted_d / n),
                "w-",
                lw=1.2,
                label=(
                    f"fitted $n\\|\\mu\\|^2/d = {fitted:.3g}$ ({len(points)} boundary points, "
                    f"$d \\leq {np.nanmax(points[:, 0]):g}$)"
                ),
            )
        ax.set_xlim(dims[0], dims[-1])
        ax.set_ylim(mus[0], mus[-1])
        ax.set_xlabel("dimension $d$")
        ax.set_ylabel("$\\|\\mu\\|$")
        ax.set_title(title)
        ax.grid(False)
    if constants or fitted_d.size:
        axes[2].legend(loc="upper left", fontsize=6)
    fig.tight_layout()
    return fig


@_styled
def existence_figure(
    rows: Sequence[dict], window: tuple[float, float], *, marks: dict[float, str] | None = None, params=None
):
    """Train and test accuracy of the v1 construction against lambda, with the heuristic window,
    labelled reference lines at ``marks`` (lambda -> label) and the setting in the title.

    Paper: v1 Figure 1 / existence construction (benign, harmful, not-overfitting solutions).
    """
    lambdas = np.array([r["lambda"] for r in rows])
    fig, ax = _subplots(figsize=(5.5, 3.4))
    ax.axvspan(*window, color="C2", alpha=0.15, label="heuristic benign window")
    ax.plot(lambdas, [r["train_acc"] for r in rows], "o-", label="train accuracy")
    ax.plot(lambdas, [r["test_acc"] for r in rows], "s-", label="test accuracy")
    for value, label in (marks or {}).items():
        ax.axvline(value, color="0.4", lw=0.8, ls=":")
        ax.annotate(label, xy=(value, 0.42), rotation=90, fontsize=7, ha="right", va="bottom", color="0.3")
    ax.set_xscale("log")
    ax.set_xlabel(
        "$\\lambda$ in $p = \\mu_1 + \\mu_2 + \\lambda(\\sum_{\\mathrm{clean}} \\xi_{i,\\mathcal{R}}"
        " + \\sum_{\\mathrm{noisy}} \\xi_{j,\\mathcal{W}_{-y^*}})$"
    )
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.4, 1.03)
    if params is not None:
        ax.set_title(
            f"v1 construction, $W = I$: $d = {params.dim}$, $\\|\\mu\\| = {params.signal_norm:g}$, "
            f"$n = {params.n_train}$, $T = {params.seq_len}$, $\\rho = {params.rho:g}$, "
            f"$\\eta = {params.label_noise:g}$, $n_{{test}} = {params.n_test}$"
        )
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    return fig


@_styled
def gaps_figure(series: dict[str, dict], title: str = "", *, exponent_tol: float = 0.5):
    """g(gap(tau)) - g(gap(tau_s)) of each sample in its final stage against tau - tau_s
    (log-log), with slope-1 guides and the slopes 1 +- ``exponent_tol`` that the g-growth check
    accepts. ``series`` maps "clean"/"noisy" to ``verify.reporting.checks.g_growth_series`` results.

    Paper: the growth function g of the two-stage proof (g of the gap grows linearly in tau).
    """
    fig, axes = _subplots(1, len(series), figsize=(5 * len(series), 3.4), squeeze=False)
    for ax, (group, data) in zip(axes[0], series.items()):
        time = data["time"]
        drawn = 0
        for column, k0 in enumerate(data["start"]):
            if k0 < 0:
                continue
            elapsed = time - time[k0]
            keep = (elapsed > 0) & np.isfinite(data["log_growth"][:, column])
            if keep.sum() < 2:
                continue
            ax.plot(
                elapsed[keep],
                np.exp(data["log_growth"][keep, column]),
                color="C0",
                lw=0.8,
                alpha=0.7,
                label="samples" if drawn == 0 else None,
            )
            if drawn == 0:
                x0, y0 = elapsed[keep][0], np.exp(data["log_growth"][keep, column][0])
                xs = np.geomspace(x0, elapsed[keep][-1], 20)
                for slope, style, name in (
                    (1.0, "--", "slope 1 (predicted)"),
                    (1.0 - exponent_tol, ":", f"slopes 1 $\\pm$ {exponent_tol:g} (tolerance)"),
                    (1.0 + exponent_tol, ":", None),
                ):
                    ax.plot(xs, y0 * (xs / x0) ** slope, color="C3", ls=style, lw=1, label=name)
            drawn += 1
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("$\\tau - \\tau_s$ (time in the final stage)")
        symbol = "\\Lambda" if group == "clean" else "\\Gamma"
        ax.set_ylabel(f"$g({symbol}(\\tau)) - g({symbol}(\\tau_s))$")
        ax.set_title(f"{group} samples ({drawn} saturated)")
        if drawn:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no sample saturates", ha="center", va="center", transform=ax.transAxes)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


@_styled
def delay_figure(trajectory: Trajectory, levels: dict[str, float | None], markers: dict[str, float | None]):
    """Train and test loss over exponentially long horizons (log time) with the loss floors
    (a level ``None``, not predicted for this setting, is not drawn).

    Paper: abstract (delayed generalisation); derivations/plateaus.py (plateaus and clean floor).
    """
    a = trajectory.arrays
    time = np.asarray(a["time"])
    keep = time > 0
    fig, ax = _subplots(figsize=(5.5, 3.2))
    ax.plot(time[keep], a["train_loss"][keep], label="train loss")
    ax.plot(time[keep], a["test_loss"][keep], label="test loss")
    for k, (name, value) in enumerate(levels.items()):
        if value is not None:
            ax.axhline(value, color=f"C{k + 2}", ls="--", lw=0.8, label=name.replace("_", " "))
    for name, value in markers.items():
        if value:
            ax.axvline(value, color="0.3", ls=":", lw=0.8)
            ax.text(value, ax.get_ylim()[1], name.replace("_", " "), rotation=90, va="top", fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("time $\\tau$ = step x step size")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


@_styled
def plateaus_figure(trajectories: Sequence[Trajectory], titles: Sequence[str], levels: dict[str, float | None]):
    """Training-loss curves against the predicted plateaus of benign overfitting and of not overfitting
    (a level ``None``, not predicted for this setting, is not drawn).

    Paper: derivations/plateaus.py (|f| <= max_t |gamma_t| bounds the loss from below).
    """
    fig, ax = _subplots(figsize=(5.5, 3.2))
    for trajectory, title in zip(trajectories, titles):
        x, keep, xlabel, log_x = _time_axis(trajectory)
        ax.plot(x[keep], np.asarray(trajectory.arrays["train_loss"])[keep], label=title)
        if log_x:
            ax.set_xscale("log")
    for k, (name, value) in enumerate(levels.items()):
        if value is not None:
            ax.axhline(value, color=f"C{k + 5}", ls="--", lw=0.8, label=f"{name.replace('_', ' ')} {value:.3f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


@_styled
def save_figure(fig, stem: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``fig`` atomically as ``stem.png`` and ``stem.pdf``; returns the paths."""
    paths = []
    for fmt in formats:
        buffer = io.BytesIO()
        # A fixed creation date keeps PDF bytes reproducible.
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
        path = Path(f"{stem}.{fmt}")
        atomic_write_bytes(path, buffer.getvalue())
        paths.append(path)
    return paths


_REGIME_COLORS = {"benign": "C2", "harmful": "C3", "not_overfitting": "C0", None: "0.7"}


def _majority(values: list) -> object:
    return max(set(values), key=lambda v: (values.count(v), str(v)))


def _boundary_contour(coefficients, dims: np.ndarray, n: float) -> np.ndarray:
    """mu on the fitted boundary b0 + b_mu log mu + b_d log d (+ b_n log n) = 0, along ``dims``."""
    c = np.asarray(coefficients, dtype=float)
    extra = c[3] * np.log(n) if c.size > 3 else 0.0
    return np.exp(-(c[0] + c[2] * np.log(dims) + extra) / c[1])


@_styled
def regime_map_figure(
    outcomes: Mapping[int, Mapping[tuple[float, float], list]],
    result: dict,
    *,
    horizon: float,
    boundaries: Mapping[str, tuple[str, float]],
):
    """The measured regime map: one panel per n in (log d, log ||mu||), each design point
    coloured by its majority outcome at ``horizon``, the fitted 50 % boundaries with 95 %
    bootstrap bands, and the theory's slopes drawn through the fitted lines.

    ``outcomes`` maps n to the runs' outcomes (a regime or None) at each design point (d, ||mu||);
    ``boundaries`` maps each boundary of ``result["boundaries"]`` to its label and the theory's
    slope in log ||mu|| against log d (``verify.experiments.regime_map`` supplies both).

    Paper: arXiv 2409.17625 v3 Figure 1 (boundaries ||mu|| ∝ d^(1/4) and ||mu|| ∝ (d/n)^(1/2)).
    """
    n_values = sorted(outcomes)
    fig, axes = _subplots(1, len(n_values), figsize=(4.2 * len(n_values), 3.8), squeeze=False, sharey=True)
    for ax, n in zip(axes[0], n_values):
        points = outcomes[n]
        for regime, color in _REGIME_COLORS.items():
            xy = [(d, mu) for (d, mu), seen in points.items() if _majority(seen) == regime]
            if xy:
                xs, ys = zip(*xy)
                ax.scatter(xs, ys, s=14, color=color, label=(regime or "clean not fitted").replace("_", " "))
        dims = np.geomspace(min(d for d, _ in points), max(d for d, _ in points), 50)
        for (name, (label, a)), style in zip(boundaries.items(), ("-", "--", "-.")):
            entry = result["boundaries"][name]
            if "coefficients" not in entry:
                continue

            line = _boundary_contour(entry["coefficients"], dims, n)
            draws = np.array([_boundary_contour(c, dims, n) for c in entry["coefficient_draws"]])
            ax.plot(dims, line, "k", ls=style, lw=1.2, label="fit: " + label)
            if len(draws):
                ax.fill_between(dims, *np.percentile(draws, [2.5, 97.5], axis=0), color="k", alpha=0.12, lw=0)
            middle = len(dims) // 2
            ax.plot(
                dims,
                line[middle] * (dims / dims[middle]) ** a,
                color="C1",
                ls=":",
                lw=1,
                label=f"theory slope {a:g} through the fit" if ax is axes[0, 0] else None,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("$d$")
        ax.set_title(f"$n = {n}$, outcome at $\\tau = {horizon:g}$")
    axes[0, 0].set_ylabel("$\\|\\mu\\|$")
    axes[0, 0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


@_styled
def regime_map_sensitivity_figure(result: dict):
    """Fitted exponents against epsilon_err (harmful | benign) and against the horizon
    (benign | not overfitting), with 95 % intervals and the predicted values.

    Paper: arXiv 2409.17625 v3 Figure 1 (predicted exponents 1/4 and 1/2, -1/2).
    """
    fig, axes = _subplots(1, 2, figsize=(9, 3.2))
    for ax, (key, predicted, xlabel) in zip(
        axes,
        (
            ("error_tolerance", {"exponent_d": 0.25}, "$\\varepsilon_{err}$"),
            ("horizon", {"exponent_d": 0.5, "exponent_n": -0.5}, "horizon $\\tau$"),
        ),
    ):
        rows = [(float(x), fit) for x, fit in result["sensitivity"][key].items() if not isinstance(fit, str)]
        for k, (name, value) in enumerate(predicted.items()):
            got = [(x, fit[name] if "estimate" not in fit else fit) for x, fit in rows]
            got = [(x, f) for x, f in got if f]
            if got:
                xs = np.array([x for x, _ in got])
                est = np.array([f["estimate"] for _, f in got])
                err = np.array([[f["estimate"] - f["ci_low"], f["ci_high"] - f["estimate"]] for _, f in got]).T
                ax.errorbar(
                    xs,
                    est,
                    yerr=err,
                    fmt="o-",
                    color=f"C{k}",
                    capsize=3,
                    label=f"{name.replace('exponent_', 'exponent of ')}",
                )
            ax.axhline(value, color=f"C{k}", ls=":", lw=1, label=f"predicted {value:g}")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title("harmful | benign" if key == "error_tolerance" else "benign | not overfitting")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("fitted exponent")
    fig.tight_layout()
    return fig


@_styled
def local_exponents_figure(result: dict, *, labels: dict[str, str]):
    """The exponent of d of each boundary fitted in windows of two decades of d, against the
    window's centre, with 95 % intervals and the predicted value: a drifting exponent is a
    boundary that is not one power law over the design.

    Paper: arXiv 2409.17625 v3 Figure 1 (predicted exponents 1/4 and 1/2).
    """
    fig, ax = _subplots(figsize=(5.5, 3.4))
    for k, (name, windows) in enumerate(result["local_exponents"].items()):
        rows = [w for w in windows if "exponent_d" in w]
        if rows:
            centre = np.array([math.sqrt(w["dim_low"] * w["dim_high"]) for w in rows])
            est = np.array([w["exponent_d"]["estimate"] for w in rows])
            err = np.array(
                [
                    [
                        w["exponent_d"]["estimate"] - w["exponent_d"]["ci_low"],
                        w["exponent_d"]["ci_high"] - w["exponent_d"]["estimate"],
                    ]
                    for w in rows
                ]
            ).T
            ax.errorbar(
                centre * 1.04**k, est, yerr=err, fmt="o-", color=f"C{k}", capsize=3, ms=4, label=labels.get(name, name)
            )
        ax.axhline(result["boundaries"][name]["predicted"]["exponent_d"], color=f"C{k}", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("centre of the $d$ window (two decades)")
    ax.set_ylabel("fitted exponent of $d$")
    ax.set_title("local exponents (dotted: predicted)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


@_styled
def noisy_fit_time_figure(records: Sequence[dict], *, n_train: int):
    """Median time at which every noisy label is fitted, over (d, ||mu||) at one n (grey: not
    fitted within the horizon in most seeds).

    Paper: the delayed fitting of noisy samples in the gradient-flow analysis.
    """
    cells: dict[tuple[float, float], list] = {}
    for r in records:
        if r["n_train"] == n_train:
            cells.setdefault((r["dim"], r["signal_norm"]), []).append(r["events"].get("all_noisy_fitted"))
    fig, ax = _subplots(figsize=(5, 3.6))
    fitted = [
        (d, mu, float(np.median([t for t in times if t is not None])))
        for (d, mu), times in cells.items()
        if sum(t is not None for t in times) * 2 > len(times)
    ]
    never = [(d, mu) for (d, mu), times in cells.items() if sum(t is not None for t in times) * 2 <= len(times)]
    if never:
        ax.scatter(*zip(*never), s=14, color="0.75", label="not fitted (most seeds)")
    if fitted:
        d, mu, t = map(np.array, zip(*fitted))
        points = ax.scatter(d, mu, c=np.log10(t), s=18, cmap="viridis")
        fig.colorbar(points, ax=ax, label="$\\log_{10}$ time all noisy labels fitted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$d$")
    ax.set_ylabel("$\\|\\mu\\|$")
    ax.set_title(f"noisy-fit time, $n = {n_train}$")
    if never:
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


@_styled
def label_noise_figure(result, *, threshold: float = 1.0):
    """The authors' label-noise study: both clean/noisy attention-mass ratios (log scale, with the
    rule's threshold) and final train / test accuracy against the label-noise rate (mean over seeds).

    Paper: the authors' public code (p-only label-noise study); arXiv 2409.17625 v1 (S).
    """
    names = [name for name, _ in result.axes]
    if names != ["label_noise"]:
        raise InputError(f"the label-noise figure needs a sweep over label_noise alone; this one has axes {names}")
    eta = np.asarray(result.axes[0][1], dtype=float)
    fig, axes = _subplots(1, 2, figsize=(9, 3.2))
    for name, label in (
        ("ratio_clean_pos_over_noisy_neg", "clean $+1$ / noisy $-1$"),
        ("ratio_clean_neg_over_noisy_pos", "clean $-1$ / noisy $+1$"),
    ):
        axes[0].plot(eta, result.mean(name), "o-", ms=3, label=label)
    axes[0].axhline(threshold, color="k", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("cumulative $\\mathfrak{S}$ ratio")
    axes[0].set_title("attention-mass ratios (sums over GD steps)")
    for name, label in (("train_acc", "train"), ("test_acc", "test")):
        axes[1].plot(eta, result.mean(name), "o-", ms=3, label=label)
    axes[1].set_ylim(-0.02, 1.02)
    axes[1].set_ylabel("final accuracy")
    axes[1].set_title("accuracy")
    for ax in axes:
        ax.set_xlabel("label-noise rate $\\eta$")
        ax.legend()
    base = result.spec.base
    fig.suptitle(
        f"p-only, $d = {base.dim}$, $\\|\\mu\\| = {base.signal_norm:g}$, $n = {base.n_train}$, "
        f"{base.steps} steps of {base.step_size:g}, seeds {', '.join(map(str, result.spec.seeds))}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


@_styled
def v1_grid_figure(result):
    """v1 Figures 4-6 on a (d, ||mu||) sweep: the Eq. 9 ratio (log10), final train and test loss,
    and the Eq. 10 class balance (log10), mean over seeds.

    Paper: arXiv 2409.17625 v1 Figure 4 (Eq. 9), Figure 5 (losses), Figure 6 (Eq. 10).
    """
    names = [name for name, _ in result.axes]
    if sorted(names) != ["dim", "signal_norm"]:
        raise InputError(f"the v1 grid figure needs a sweep over dim and signal_norm; this one has axes {names}")
    transpose = names[0] != "dim"
    dims = np.asarray(dict(result.axes)["dim"], dtype=float)
    mus = np.asarray(dict(result.axes)["signal_norm"], dtype=float)

    def grid(name):
        values = result.mean(name)
        return values.T if transpose else values

    with np.errstate(divide="ignore", invalid="ignore"):
        panels = [
            ("v1 Fig. 4: $\\log_{10}$ Eq. 9 ratio", np.log10(grid("eq9_ratio")), "viridis"),
            ("v1 Fig. 5: final train loss", grid("train_loss"), "viridis"),
            ("v1 Fig. 5: final test loss", grid("test_loss"), "viridis"),
            ("v1 Fig. 6: $\\log_{10}$ Eq. 10 balance", np.log10(grid("eq10_ratio")), "coolwarm"),
        ]
    fig, axes = _subplots(1, 4, figsize=(15, 3.3))
    step_d, step_mu = (dims[1] - dims[0] if len(dims) > 1 else 1.0), (mus[1] - mus[0] if len(mus) > 1 else 1.0)
    extent = [dims[0] - step_d / 2, dims[-1] + step_d / 2, mus[0] - step_mu / 2, mus[-1] + step_mu / 2]
    for ax, (title, values, cmap) in zip(axes, panels):
        kwargs = {}
        if cmap == "coolwarm":
            bound = float(np.nanmax(np.abs(values))) if np.any(np.isfinite(values)) else 1.0
            kwargs = {"vmin": -bound, "vmax": bound}
        image = ax.imshow(
            values.T, origin="lower", aspect="auto", extent=extent, cmap=cmap, interpolation="nearest", **kwargs
        )
        fig.colorbar(image, ax=ax)
        ax.set_xlabel("dimension $d$")
        ax.set_ylabel("$\\|\\mu\\|$")
        ax.set_title(title)
        ax.grid(False)
    base = result.spec.base
    fig.suptitle(
        f"p-only (W = I), $n = {base.n_train}$, $T = {base.seq_len}$, $\\rho = {base.rho:g}$, "
        f"$\\eta = {base.label_noise:g}$, {base.steps} steps of {base.step_size:g}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig
