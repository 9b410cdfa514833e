"""One simulated day: the engine runs the journeys, the experience pass remembers them."""
