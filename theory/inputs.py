"""Names of the paper's unknown constants and of the named inputs, with the inputs' defaults.

Plain Python, no SymPy: the command line lists them in ``--help`` without importing SymPy
(``theory.symbols`` holds the matching symbols).

Paper: the constants C of the regime conditions are not given by the paper [OPEN]; the v1
failure probability delta and the attention error of the time scales are named inputs.
"""

import types
from collections.abc import Mapping

__all__ = ["CONSTANT_NAMES", "DEFAULT_INPUTS"]

#: The unknown constants of the regime map and of the v1 attention-mass conditions, never filled
#: in silently.
CONSTANT_NAMES = ("C_benign", "C_clean", "C_harm", "C_drive", "C_eq9", "C_eq10", "C_mass")

#: Named inputs and their visible defaults: the v1 failure probability delta and the attention
#: error 1 - s at which the time scale is reported.
DEFAULT_INPUTS: Mapping[str, float] = types.MappingProxyType({"failure_prob": 0.01, "target_attention_error": 0.01})
