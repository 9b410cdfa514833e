"""The queueing engine: arrivals, staff pools, journeys, random streams, records."""
