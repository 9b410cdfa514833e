"""Retention: return decisions, loyalty, word of mouth and the multi-period loop."""
