"""Running a scenario: its replications through an executor into a result (files only
for the records a big run streams)."""
