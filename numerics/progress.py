"""How long engines show their progress: percent of the way (in log time for flows, whose raw
totals are not numbers a reader knows), elapsed and remaining time.

Paper: none.
"""

__all__ = ["PROGRESS_FORMAT"]

#: tqdm's bar format for work measured in a unit that means nothing to a reader (log time).
PROGRESS_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"
