"""Regime prediction without simulation: SNR, condition margins, thresholds, plateaus, time scales.

The v2/v3 regime boundaries are known only up to constants, so the regime is decided only
from constants the user supplies (C_benign, C_clean, C_harm); without them it is
"undetermined" and the missing constants are named. The v1 assumptions are always evaluated
(they need no unknown constant) and warn ``AssumptionWarning`` when they fail.

Paper: v3 Figure 1 (regime map: harmful below SNR ~ d^(-1/4), not overfitting above
SNR ~ n^(-1/2), benign in between); the v1 A1/A2 order conditions as the authors' notebook
checks them; plateaus and time scales from ``derivations/plateaus.py`` and ``derivations/growth.py``.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

from theory import bounds
from theory import symbols as sym
from theory.conditions import BENIGN_UPPER, CLEAN_LOWER, CONDITIONS, HARM_LOWER, threshold
from theory.growth import COUNTS
from theory.inputs import DEFAULT_INPUTS
from theory.records import Margin, exact
from theory.validation import InputError

__all__ = ["REGIMES", "DEFAULT_INPUTS", "Prediction", "predict"]

REGIMES = ("benign", "harmful", "not_overfitting", "boundary", "undetermined")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Prediction:
    """What the theory predicts for one parameter point.

    Paper: v3 Figure 1 (regimes), the v1 A1/A2 order conditions (authors' notebook check),
    ``derivations/plateaus.py`` and ``derivations/growth.py`` (plateaus, time scales).

    Parameters
    ----------
    regime : {"benign", "harmful", "not_overfitting", "boundary", "undetermined"}
        "boundary": decided conditions place the point in none of the three regimes (between
        C_benign and C_clean, or the harmful and clean conditions both fire).
    missing_constants : tuple of str
        Constants needed to decide the regime that were not given (non-empty iff undetermined).
    reason : str
        Why the regime is what it is, in words: which regime conditions hold and fail, or which
        constants are missing.
    snr, n_snr_squared : float
    margins : tuple of Margin
        Every registered condition, in registry order.
    thresholds : mapping of str to float or None
        Per condition, the signal norm at which it becomes an equality (None if it does not
        depend on the signal norm or a constant is missing).
    plateaus : mapping of str to float or None
        Loss plateaus (``derivations/plateaus.py``); the two that depend on the label-noise rate
        are None for label_noise >= 1/2, outside the derivation (clean samples in the majority).
    time_scales : mapping of str to float or None
        Gap at which 1 - s reaches the target error, flow time and GD steps to reach it from
        gap 0 under drive C_drive (None without C_drive). Keys without suffix use the paper's
        count T in g; keys ending in "_t_minus_1" use T - 1, exact for the model's T tokens.
    constants : mapping of str to float
        The constants the user gave.
    inputs : mapping of str to float
        The named inputs used (defaults shown).
    params : mapping
        ``ProblemParams.to_dict()``.
    """

    regime: str
    missing_constants: tuple[str, ...]
    reason: str
    snr: float
    n_snr_squared: float
    margins: tuple[Margin, ...]
    thresholds: Mapping[str, float | None]
    plateaus: Mapping[str, float | None]
    time_scales: Mapping[str, float | None]
    constants: Mapping[str, float]
    inputs: Mapping[str, float]
    params: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"regime={self.regime!r}: must be one of {REGIMES}")
        if (self.regime == "undetermined") != bool(self.missing_constants):
            raise ValueError(
                f"regime={self.regime!r} with missing_constants={self.missing_constants!r}: "
                "the regime is undetermined exactly when constants are missing"
            )
        for name in ("thresholds", "plateaus", "time_scales", "constants", "inputs", "params"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def margin(self, condition: str) -> Margin:
        """The margin of the named condition."""
        for margin in self.margins:
            if margin.condition == condition:
                return margin
        raise KeyError(f"no margin for {condition!r}: known are {[m.condition for m in self.margins]}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "regime": self.regime,
            "missing_constants": list(self.missing_constants),
            "reason": self.reason,
            "snr": self.snr,
            "n_snr_squared": self.n_snr_squared,
            "margins": [m.to_dict() for m in self.margins],
            "thresholds": dict(self.thresholds),
            "plateaus": dict(self.plateaus),
            "time_scales": dict(self.time_scales),
            "constants": dict(self.constants),
            "inputs": dict(self.inputs),
            "params": dict(self.params),
        }


def _and(*values: bool | None) -> bool | None:
    # Kleene three-valued AND: False wins, then unknown.
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


#: The regime conditions in words, as (holds, fails) phrases for ``_reason``.
_WORDS = {
    BENIGN_UPPER.name: ("n SNR^2 <= C_benign", "n SNR^2 > C_benign"),
    CLEAN_LOWER.name: ("n SNR^2 >= C_clean", "n SNR^2 < C_clean"),
    HARM_LOWER.name: ("SNR >= C_harm d^(-1/4)", "SNR < C_harm d^(-1/4)"),
}


def _reason(regime: str, margins: Mapping[str, Margin], missing: tuple[str, ...]) -> str:
    if regime == "undetermined":
        return f"needs the constants {', '.join(missing)} (--constant NAME=VALUE)"
    facts = "; ".join(_WORDS[name][0 if margins[name].holds else 1] for name in _WORDS)
    if regime != "boundary":
        return facts
    if margins[BENIGN_UPPER.name].holds and margins[CLEAN_LOWER.name].holds:
        why = "n SNR^2 equals C_benign = C_clean, on the benign | not-overfitting boundary itself"
    elif margins[HARM_LOWER.name].holds:
        why = "n SNR^2 lies between C_benign and C_clean, in neither the benign nor the not-overfitting region"
    else:
        why = (
            "the harmful condition and the not-overfitting condition hold together, "
            "a combination v3 Figure 1 assigns to no regime"
        )
    return f"{why} ({facts})"


def _decide(margins: Mapping[str, Margin]) -> tuple[str, tuple[str, ...], str]:
    harm_ok = margins[HARM_LOWER.name].holds
    benign_ok = margins[BENIGN_UPPER.name].holds
    clean = margins[CLEAN_LOWER.name].holds
    candidates = {
        "benign": _and(harm_ok, benign_ok),
        "harmful": _and(_not(harm_ok), _not(clean)),
        "not_overfitting": _and(clean, harm_ok),
    }
    decided = [name for name, value in candidates.items() if value is True]
    missing: tuple[str, ...]
    if len(decided) == 1:
        regime, missing = decided[0], ()
    elif any(value is None for value in candidates.values()):
        regime = "undetermined"
        missing = tuple(sorted({c for m in margins.values() if m.holds is None for c in m.missing}))
    else:
        regime, missing = "boundary", ()
    return regime, missing, _reason(regime, margins, missing)


def _check_constants(constants: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(constants) - set(sym.CONSTANT_SYMBOLS))
    if unknown:
        raise InputError(f"unknown constant(s) {unknown}: known constants are {sorted(sym.CONSTANT_SYMBOLS)}")
    checked = {name: exact(value, name) for name, value in constants.items()}
    for name, value in checked.items():
        if value <= 0:
            raise InputError(f"{name}={float(value)!r}: constants must be > 0")
    if "C_benign" in checked and "C_clean" in checked and checked["C_benign"] > checked["C_clean"]:
        raise InputError(
            f"C_benign={float(checked['C_benign'])!r} > C_clean={float(checked['C_clean'])!r}: "
            "the benign region must lie below the not-overfitting region (C_benign <= C_clean)"
        )
    return checked


def _check_inputs(inputs: Mapping[str, Any]) -> dict[str, float]:
    unknown = sorted(set(inputs) - set(DEFAULT_INPUTS))
    if unknown:
        raise InputError(f"unknown input(s) {unknown}: known inputs are {sorted(DEFAULT_INPUTS)}")
    chosen = dict(DEFAULT_INPUTS)
    for name, value in inputs.items():
        number = float(exact(value, name))
        if not 0 < number < 1:
            raise InputError(f"{name}={number!r}: must satisfy 0 < {name} < 1")
        chosen[name] = number
    return chosen


def predict(
    params: Any, constants: Mapping[str, Any] | None = None, *, inputs: Mapping[str, Any] | None = None
) -> Prediction:
    """Predict the regime and report every margin, threshold, plateau and time scale.

    Paper: v3 Figure 1 and the v1 A1/A2 order conditions (authors' notebook check); plateaus and
    time scales from ``derivations/plateaus.py`` and ``derivations/growth.py``.

    Parameters
    ----------
    params : theory.params.ProblemParams
    constants : mapping, optional
        Values for C_benign, C_clean, C_harm, C_drive (numbers or number text); a constant
        not given is never filled in.
    inputs : mapping, optional
        Overrides of ``DEFAULT_INPUTS`` (failure_prob, target_attention_error).

    Warns
    -----
    AssumptionWarning
        For each v1 assumption that fails at ``params``.
    """
    constants = _check_constants(constants or {})
    chosen_inputs = _check_inputs(inputs or {})
    margins = tuple(c.evaluate(params, constants, inputs=chosen_inputs) for c in CONDITIONS)
    by_name = {m.condition: m for m in margins}
    regime, missing, reason = _decide(by_name)
    thresholds = {c.name: threshold(c, params, constants, inputs=chosen_inputs) for c in CONDITIONS}
    # The plateaus are derived with the clean samples in the majority (label_noise < 1/2).
    minority_noise = params.label_noise < 0.5
    plateaus = {
        "plateau_benign": bounds.PLATEAU_BENIGN.stable(label_noise=params.label_noise, rho=params.rho)
        if minority_noise
        else None,
        "plateau_not_overfitting": bounds.PLATEAU_NOT_OVERFITTING.stable(label_noise=params.label_noise)
        if minority_noise
        else None,
        "clean_test_loss_floor": bounds.CLEAN_TEST_LOSS_FLOOR.stable(),
    }
    time_scales: dict[str, float | None] = {}
    for count in COUNTS:
        suffix = "" if count == "T" else "_t_minus_1"
        # The gap at which 1 - s = K / (e^x + K) equals the target error; training starts at p = 0 (gap 0).
        target_gap = bounds.growth_formula("target_gap", count).stable(
            seq_len=params.seq_len, target_attention_error=chosen_inputs["target_attention_error"]
        )
        flow_time = None
        if "C_drive" in constants:
            flow_time = bounds.growth_formula("time_to_gap", count).stable(
                seq_len=params.seq_len, gap_initial=0.0, gap_target=target_gap, drive=float(constants["C_drive"])
            )
        time_scales["target_gap" + suffix] = target_gap
        time_scales["time_to_target_gap" + suffix] = flow_time
        time_scales["steps_to_target_gap" + suffix] = None if flow_time is None else flow_time / params.step_size
    return Prediction(
        regime=regime,
        missing_constants=missing,
        reason=reason,
        snr=bounds.SNR.stable(dim=params.dim, signal_norm=params.signal_norm),
        n_snr_squared=bounds.N_SNR_SQUARED.stable(
            dim=params.dim, n_train=params.n_train, signal_norm=params.signal_norm
        ),
        margins=margins,
        thresholds=thresholds,
        plateaus=plateaus,
        time_scales=time_scales,
        constants={name: float(value) for name, value in constants.items()},
        inputs=chosen_inputs,
        params=params.to_dict(),
    )
