"""Runs: planning, executing and storing inspections; re-scoring stored runs."""
