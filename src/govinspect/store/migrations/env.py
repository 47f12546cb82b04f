"""Alembic environment: govinspect always hands over an open connection (see store.db.migrate)."""

from alembic import context

from govinspect.store import results as _results  # noqa: F401  (registers every table)
from govinspect.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
context.run_migrations()
