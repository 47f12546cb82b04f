"""Stored availability probes: one row per probe of a site's homepage (fetch/probe.py), from any vantage point.

Rows are written in batches (a round of thousands of sites is one insert) and read back by time window; no
foreign key to ``sites``: a site's probe history outlives a registry edit. Old rows are removed by
``delete_probes_before`` (the monitor's retention).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from govinspect.store.db import Store
from govinspect.store.models import Base

if TYPE_CHECKING:
    from govinspect.fetch.probe import ProbeResult

_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's rowid alias must be INTEGER


class Probe(Base):
    """One probe of a homepage: when, from where, what answered (status, latency) or what failed (error)."""

    __tablename__ = "probes"
    __table_args__ = (
        Index("ix_probes_site_code_probed_at", "site_code", "probed_at"),
        Index("ix_probes_probed_at", "probed_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    site_code: Mapped[str] = mapped_column(String(10))
    vantage: Mapped[str] = mapped_column(String(64))
    probed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class StoredProbe:
    site_code: str
    vantage: str
    probed_at: datetime
    status: int | None
    latency_ms: int | None
    error: str | None


def save_probes(store: Store, results: Iterable[ProbeResult]) -> int:
    rows = [
        {
            "site_code": r.site_code,
            "vantage": r.vantage[:64],
            "probed_at": r.probed_at.astimezone(UTC),
            "url": r.url,
            "final_url": r.final_url,
            "status": r.status,
            "latency_ms": r.latency_ms,
            "error": r.error,
            "message": r.message,
        }
        for r in results
    ]
    if rows:
        with store.session() as session:
            session.execute(insert(Probe), rows)
    return len(rows)


def load_probes(
    store: Store, start: datetime, end: datetime, site_codes: Sequence[str] | None = None
) -> list[StoredProbe]:
    """Probes made in [start, end), oldest first; of these sites only, when given."""
    query = select(
        Probe.site_code, Probe.vantage, Probe.probed_at, Probe.status, Probe.latency_ms, Probe.error
    ).where(Probe.probed_at >= _utc(start), Probe.probed_at < _utc(end))
    if site_codes is not None:
        codes = list(site_codes)
        if len(codes) == 1:
            query = query.where(Probe.site_code == codes[0])
        else:
            query = query.where(Probe.site_code.in_(codes))
    query = query.order_by(Probe.probed_at, Probe.id)
    with store.session() as session:
        rows = session.execute(query).all()
    # SQLite hands datetimes back without their zone; every probe time is stored in UTC.
    return [
        StoredProbe(code, vantage, _utc(at), status, latency, error)
        for code, vantage, at, status, latency, error in rows
    ]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def delete_probes_before(store: Store, before: datetime) -> int:
    with store.session() as session:
        return session.execute(delete(Probe).where(Probe.probed_at < _utc(before))).rowcount or 0
