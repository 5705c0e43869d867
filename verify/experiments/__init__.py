"""Experiments on top of single runs: resumable sweeps (local processes or Dask), flow cells with
events, phase analysis, the regime map and its boundary fits, the v1 existence construction."""
