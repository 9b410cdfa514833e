"""Running a scenario: its replications through an executor into a result (no files)."""
