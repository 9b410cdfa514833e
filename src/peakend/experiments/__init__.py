"""Experiments: runs with replications, comparisons, sweeps, executors and the results store."""
