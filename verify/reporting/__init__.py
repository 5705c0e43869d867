"""From a trajectory to a verdict: the outcome-based classification, the checks against the
theory, the attention-mass bookkeeping, reports (JSON + Markdown) and the official-run reader."""
