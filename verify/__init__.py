"""Trajectories, checks against the theory, reports, sweeps, figures and the CLI."""
