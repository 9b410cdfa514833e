"""Analysis of simulation output: metrics, the metric registry, statistics, intervals, Erlang."""
