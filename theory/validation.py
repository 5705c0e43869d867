"""``InputError``: a value given by the user breaks a rule (one line naming the value and the rule).

The command line turns it into a one-line error and exit status 2; any other exception is an
internal error and keeps its traceback. Raised where input enters: ``ProblemParams``, parameter,
constants and run files, command-line options. It is a ``ValueError``, so library callers that
catch ``ValueError`` keep working.

Paper: none.
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """A user-supplied value breaks a rule; the message names the value and the rule."""
