"""Numerical engines: data generation, stable primitives, GD (direct and reduced), gradient flow."""
