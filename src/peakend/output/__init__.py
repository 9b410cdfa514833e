"""Output for people: the HTML report, plots, tables and a run's folder of results."""
