"""Pytest fixtures for the synthetic site farm (filled in as the farm grows)."""
