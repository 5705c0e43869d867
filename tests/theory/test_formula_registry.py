"""Registry-driven checks: every Formula agrees across numpy, mpmath (50 digits) and its
hand-written stable form, and every entry is documented."""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.compile import to_mpmath, to_numpy
from theory import symbols as sym
from theory.records import Tag
from theory.registry import CONDITIONS, FORMULAS, get, names, registry_markdown

TOLERANCE = 1e-12


@functools.cache
def compiled(name: str):
    return to_numpy(name), to_mpmath(name, digits=50)


def draw_arguments(data, formula) -> dict:
    values: dict = {}
    for name in formula.arguments:
        lo, hi = formula.domain[name]
        known = {sym.by_name(k): sympy.Rational(v) for k, v in values.items()}
        low, high = float(lo.subs(known)), float(hi.subs(known))
        if sym.by_name(name).is_integer:
            values[name] = data.draw(st.integers(math.ceil(low), math.floor(high)), label=name)
        else:
            values[name] = data.draw(st.floats(low, high, allow_nan=False, allow_infinity=False), label=name)
    return values


def assert_close(value: float, reference: mpmath.mpf, *, log_scale: bool, what: str) -> None:
    reference = float(reference)
    # For a logarithm the absolute error is the relative error of the quantity; beyond |log| = 1
    # float64 cannot resolve absolute 1e-12, so the tolerance becomes relative there.
    scale = max(1.0, abs(reference)) if log_scale else abs(reference)
    assert abs(value - reference) <= TOLERANCE * scale, f"{what}: {value!r} vs 50-digit {reference!r}"


@pytest.mark.parametrize("name", list(FORMULAS))
@settings(max_examples=30)
@given(data=st.data())
def test_numpy_mpmath_and_stable_forms_agree(name, data):
    formula = FORMULAS[name]
    values = draw_arguments(data, formula)
    numpy_function, mpmath_function = compiled(name)
    reference = mpmath_function(**values)
    assert_close(float(numpy_function(**values)), reference, log_scale=formula.log_scale, what=f"{name} numpy")
    assert_close(formula.stable(**values), reference, log_scale=formula.log_scale, what=f"{name} stable")


LARGE_GAP_CASES = [
    ("log_growth_g", {"seq_len": 8, "gap": 1e4}),
    ("log_growth_g", {"seq_len": 1000, "gap": 2500.5}),
    ("log_attention_error", {"seq_len": 8, "gap": 1e4}),
    ("log_time_to_gap", {"seq_len": 8, "gap_initial": 0.0, "gap_target": 1e4, "drive": 1e-3}),
    ("log_time_to_gap", {"seq_len": 20, "gap_initial": 3.0, "gap_target": 3.0 + 1e-9, "drive": 2.0}),
]


@pytest.mark.parametrize("name,values", LARGE_GAP_CASES)
def test_large_gaps_stay_finite_and_accurate(name, values):
    formula = FORMULAS[name]
    numpy_function, mpmath_function = compiled(name)
    reference = mpmath_function(**values)
    assert_close(float(numpy_function(**values)), reference, log_scale=True, what=name)
    assert_close(formula.stable(**values), reference, log_scale=True, what=name)


def test_naive_float_form_overflows_where_the_stable_form_does_not():
    x, count = 1e4, 8.0
    with np.errstate(over="ignore"):
        naive = np.log(2 * x + 2 * np.sinh(np.float64(x) - np.log(count)))
    assert np.isinf(naive)
    stable = float(to_numpy("log_growth_g")(seq_len=count, gap=x))
    assert stable == pytest.approx(x - math.log(count), rel=1e-15)


def test_gap_bounds_order_and_reduce_to_initial_gap():
    lower, upper = FORMULAS["gap_lower_bound"], FORMULAS["gap_upper_bound"]
    args = {"seq_len": 8, "gap_initial": 2.0, "time": 50.0}
    at_lower = lower.stable(drive_lower=0.1, **args)
    at_upper = upper.stable(drive_upper=0.3, **args)
    assert 2.0 < at_lower < at_upper
    assert lower.stable(drive_lower=0.1, seq_len=8, gap_initial=2.0, time=0.0) == pytest.approx(2.0, rel=1e-14)


def test_every_entry_is_documented_and_tagged():
    for name in names():
        entry = get(name)
        assert isinstance(entry.tag, Tag)
        assert entry.reference and entry.description
    table = registry_markdown()
    assert all(f"`{name}`" in table for name in names())
    # Open constants appear only in OPEN conditions.
    for condition in CONDITIONS.values():
        assert bool(condition.constants) == (condition.tag is Tag.OPEN)


def test_unknown_names_are_reported():
    with pytest.raises(KeyError, match="unknown registry name 'nope'"):
        get("nope")


def test_sympy_evaluation_of_growth_inverse_matches_mpmath():
    formula = FORMULAS["gap_upper_bound"]
    values = {"seq_len": 8, "gap_initial": 1.5, "drive_upper": 0.25, "time": 1e5}
    _, mpmath_function = compiled("gap_upper_bound")
    assert formula.evaluate(values) == pytest.approx(float(mpmath_function(**values)), rel=1e-14)
