"""Checks: one module per indicator family; each is a pure function (model, profile, as_of) -> findings."""
