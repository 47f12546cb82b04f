"""Snapshot → site model: pure extraction functions."""
