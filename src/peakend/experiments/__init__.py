"""Experiments: comparisons and sweeps of scenarios, their design, sessions and results."""
