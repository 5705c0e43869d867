"""The paper's model, formulas and conditions as SymPy objects (imports only SymPy)."""

from theory.params import ProblemParams

__all__ = ["ProblemParams"]
