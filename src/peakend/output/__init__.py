"""Output: run directories, tables and plots."""
