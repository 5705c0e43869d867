"""Which token positions play which role: the one definition every engine and metric uses.

Paper: the paper's data model (a relevant token, a weakly relevant token aligned with the label,
one opposite to it, the rest irrelevant) and the authors' p-only study code, which gives every
role several consecutive positions (tokens 0, 1 relevant; 2, 3 aligned; 4, 5 opposite).
"""

from __future__ import annotations

import dataclasses

from theory.params import ProblemParams

__all__ = ["ROLE_NAMES", "TokenRoles", "token_roles"]

#: Role names, in the order of the token layout.
ROLE_NAMES = ("relevant", "weak_aligned", "weak_opposite", "irrelevant")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TokenRoles:
    """Positions of each role as slices of the T tokens of a sample (empty when a role has none).

    Paper: the data model; positions 0..R-1 relevant, the next W weakly relevant aligned, the
    next W weakly relevant opposite, the remaining T - R - 2W irrelevant.
    """

    seq_len: int
    relevant: slice
    weak_aligned: slice
    weak_opposite: slice
    irrelevant: slice

    @property
    def slices(self) -> tuple[slice, slice, slice, slice]:
        """The four slices in the order of ``ROLE_NAMES``."""
        return (self.relevant, self.weak_aligned, self.weak_opposite, self.irrelevant)

    def role_of(self, position: int) -> str:
        """The role name of one token position (0 <= position < T)."""
        if not 0 <= position < self.seq_len:
            raise ValueError(f"token position {position!r}: must satisfy 0 <= position < {self.seq_len}")
        for name, part in zip(ROLE_NAMES, self.slices):
            if part.start <= position < part.stop:
                return name
        raise AssertionError("the role slices cover every position")

    def names(self) -> tuple[str, ...]:
        """The role name of every position, length T."""
        return tuple(self.role_of(t) for t in range(self.seq_len))


def token_roles(params: ProblemParams) -> TokenRoles:
    """The token layout of ``params`` (``relevant_tokens`` R, ``weak_tokens`` W, ``seq_len`` T).

    R = W = 1 is the paper's layout: token 0 relevant, 1 aligned, 2 opposite, 3.. irrelevant.
    """
    R, W, T = params.relevant_tokens, params.weak_tokens, params.seq_len
    return TokenRoles(
        seq_len=T,
        relevant=slice(0, R),
        weak_aligned=slice(R, R + W),
        weak_opposite=slice(R + W, R + 2 * W),
        irrelevant=slice(R + 2 * W, T),
    )
