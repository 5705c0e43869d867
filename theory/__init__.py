"""The paper's model, formulas and conditions as SymPy objects (imports only SymPy).

Public API, imported on first use (``import theory`` itself loads nothing heavy):

``ProblemParams``
    One problem instance: data, model and training (defaults: the official v3 setting).
``predict``, ``Prediction``
    The theory's regime, condition margins, plateaus and time scales, without simulation.
``AssumptionWarning``
    Warned when a setting lies outside a result's hypotheses.
``InputError``
    A value breaks a rule (a ``ValueError``).

Examples
--------
>>> import theory
>>> params = theory.ProblemParams(dim=4500, signal_norm=5.0)
>>> params.n_train, params.seq_len, round(params.snr, 4)
(20, 8, 0.0745)
>>> theory.predict(params).missing_constants  # the paper leaves its constants open
('C_benign', 'C_clean', 'C_harm')
>>> theory.predict(params, {"C_benign": 1, "C_clean": 2, "C_harm": 1}).regime
'harmful'
"""

from theory.lazy import lazy_exports

__all__ = ["ProblemParams", "predict", "Prediction", "AssumptionWarning", "InputError"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ProblemParams": "theory.params",
        "predict": "theory.regimes",
        "Prediction": "theory.regimes",
        "AssumptionWarning": "theory.records",
        "InputError": "theory.validation",
    },
)
