"""Persistence: SQLAlchemy models, engines and sessions, Alembic migrations applied on first use."""

from govinspect.store import results as _results  # noqa: F401  (registers the run and result tables)
from govinspect.store.db import Store, open_store

__all__ = ["Store", "open_store"]
