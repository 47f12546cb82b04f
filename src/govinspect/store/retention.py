"""Snapshot retention: old snapshots (rows and page bodies) are deleted, except what later work reads.

Kept, whatever their age:

- each site's snapshots from its last ``keep_crawls`` crawls (the latest inspections: a re-check, a re-render,
  evidence shown for the current period, the conditional-GET validators of the next crawl);
- every snapshot a finding names as its evidence (``findings.snapshot_id``; tickets open from findings and copy
  their evidence, and a ticket's ``evidence.snapshot_id`` is kept as well).

The back-dating check reads the column lists of a site's last inspections from the stored site models
(runs/history.py), and re-scoring reads the models too, so neither needs old snapshots. A body file is deleted
only when no remaining snapshot has the same sha256 (bodies are content-addressed and shared between crawls).
Crawl rows stay, with their summaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from govinspect.store.db import Store
from govinspect.store.models import Snapshot
from govinspect.store.snapshots import BlobStore

KEEP_DAYS = 120  # a quarter and a month: the current period's evidence and the previous one's
KEEP_CRAWLS = 4  # per site: the crawl of the latest inspection and the three before it (runs/history.py)
_CHUNK = 500


@dataclass(frozen=True)
class PruneReport:
    before: datetime
    snapshots: int  # rows deleted (or that would be, on a dry run)
    bodies: int  # body files deleted
    body_bytes: int  # their size on disk
    kept_recent: int  # old rows kept: among the site's last crawls
    kept_evidence: int  # old rows kept: named as evidence
    dry_run: bool


def _evidence_ids(store: Store) -> set[int]:
    from govinspect.store.rectify import Ticket
    from govinspect.store.results import FindingRow

    with store.session() as session:
        ids = {i for i in session.scalars(select(FindingRow.snapshot_id).distinct()) if i is not None}
        for evidence in session.scalars(select(Ticket.evidence)):
            value = (evidence or {}).get("snapshot_id")
            if isinstance(value, int):
                ids.add(value)
    return ids


def _recent_crawls(store: Store, keep_crawls: int) -> dict[str, set[int]]:
    """Per site, the ids of its last ``keep_crawls`` crawls (crawl ids grow with time)."""
    with store.session() as session:
        pairs = session.execute(
            select(Snapshot.site_code, Snapshot.crawl_id)
            .where(Snapshot.crawl_id.is_not(None))
            .distinct()
            .order_by(Snapshot.site_code, Snapshot.crawl_id.desc())
        )
        recent: dict[str, set[int]] = defaultdict(set)
        for code, crawl_id in pairs:
            if len(recent[code]) < keep_crawls:
                recent[code].add(crawl_id)
    return recent


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def prune_snapshots(
    store: Store,
    snapshots_dir: Path | str,
    *,
    keep_days: int = KEEP_DAYS,
    keep_crawls: int = KEEP_CRAWLS,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    """Delete snapshots fetched more than ``keep_days`` ago that are neither among their site's last
    ``keep_crawls`` crawls nor evidence, then the body files no remaining snapshot uses."""
    if keep_days < 0 or keep_crawls < 1:
        raise ValueError("keep_days ≥ 0 and keep_crawls ≥ 1")
    before = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    evidence = _evidence_ids(store)
    recent = _recent_crawls(store, keep_crawls)
    doomed: list[int] = []
    shas: set[str] = set()
    kept_recent = kept_evidence = 0
    with store.session() as session:
        old = session.execute(
            select(Snapshot.id, Snapshot.site_code, Snapshot.crawl_id, Snapshot.body_sha256).where(
                Snapshot.fetched_at < before
            )
        )
        for sid, code, crawl_id, sha in old:
            if sid in evidence:
                kept_evidence += 1
            elif crawl_id is not None and crawl_id in recent.get(code, ()):
                kept_recent += 1
            else:
                doomed.append(sid)
                if sha:
                    shas.add(sha)
    blobs = BlobStore(snapshots_dir)
    if dry_run:
        orphans = _orphans(store, shas, set(doomed))
        size = sum(_size(blobs.path(s)) for s in orphans)
        return PruneReport(before, len(doomed), len(orphans), size, kept_recent, kept_evidence, True)
    for part in _chunks(doomed):
        with store.session() as session:
            session.execute(delete(Snapshot).where(Snapshot.id.in_(part)))
    removed = size = 0
    ordered = sorted(shas)
    for i in range(0, len(ordered), _CHUNK):  # checked chunk by chunk just before unlinking: a crawl
        for sha in _orphans(store, set(ordered[i : i + _CHUNK]), set()):  # reusing a body meanwhile keeps it
            path = blobs.path(sha)
            bytes_ = _size(path)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            size += bytes_
    return PruneReport(before, len(doomed), removed, size, kept_recent, kept_evidence, False)


def _orphans(store: Store, shas: set[str], leaving: set[int]) -> list[str]:
    """The bodies no snapshot uses once the ``leaving`` ones are gone."""
    used: set[str] = set()
    ordered = sorted(shas)
    with store.session() as session:
        for i in range(0, len(ordered), _CHUNK):
            part = ordered[i : i + _CHUNK]
            rows = session.execute(
                select(Snapshot.id, Snapshot.body_sha256).where(Snapshot.body_sha256.in_(part))
            )
            used.update(sha for sid, sha in rows if sid not in leaving)
    return [s for s in ordered if s not in used]


def sweep_bodies(
    store: Store, snapshots_dir: Path | str, *, grace_hours: float = 24.0, dry_run: bool = False
) -> tuple[int, int]:
    """Delete this machine's body files that no snapshot row names (any more) and that are older than
    ``grace_hours``: with several workers each keeps the bodies it crawled under its own home, while
    ``prune_snapshots`` runs once for the shared database. Returns (files, bytes)."""
    import time

    root = Path(snapshots_dir)
    cutoff = time.time() - grace_hours * 3600
    candidates: dict[str, Path] = {}
    for path in root.glob("??/??/*.gz"):
        try:
            if path.stat().st_mtime < cutoff:
                candidates[path.name.removesuffix(".gz")] = path
        except FileNotFoundError:
            continue
    removed = size = 0
    shas = sorted(candidates)
    for i in range(0, len(shas), _CHUNK):
        for sha in _orphans(store, set(shas[i : i + _CHUNK]), set()):
            path = candidates[sha]
            bytes_ = _size(path)
            if not dry_run:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
            removed += 1
            size += bytes_
    return removed, size


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
