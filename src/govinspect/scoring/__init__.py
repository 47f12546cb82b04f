"""Indicator profiles (YAML data) and the scoring engine: vetoes, deductions with caps, bonus."""
