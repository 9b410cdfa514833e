"""Analysis: queueing theory (Erlang), statistics, metrics and validation."""
