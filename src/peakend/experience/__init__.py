"""Experience: from what happened to moment utility, traces and memory models."""
