"""Checks of the model: queueing validation against Erlang, the levers suite."""
