"""Scenario configuration: the typed schema, file loading and overrides."""
