"""The snapshot store: every fetched page, its headers and fetch time; bodies as content-addressed files.

Bodies live under ``snapshots_dir/<aa>/<bb>/<sha256>.gz`` (sha256 of the raw bytes as received, after
transfer decoding; gzip-compressed; written to a temporary file and renamed, so a reader never sees half a
file and identical bodies are stored once). Rows live in the ``snapshots`` table, grouped by ``crawls``.

Bodies are attacker-controlled: they are stored and returned as bytes, never executed, and reading one back is
capped (``max_bytes``) so that a corrupted or planted blob cannot balloon in memory.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from govinspect.store.db import Store
from govinspect.store.models import Crawl, Snapshot

DEFAULT_MAX_BODY = 64 * 1024 * 1024
ERROR_CLASSES = (
    "dns",
    "connect",
    "tls",
    "timeout",
    "reset",
    "too_large",
    "redirect_loop",
    "robots",
    "blocked_ssrf",
    "blocked",  # a firewall's answer: 401/403/412/429/451 (not a failure of the site)
    "http",  # any other status >= 400
    "binary",  # served as a page but is not text
    "other",
)


def url_hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class BlobStore:
    """Content-addressed, gzip-compressed, atomically written files."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / f"{sha}.gz"

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, body: bytes, sha: str | None = None) -> str:
        sha = sha or body_sha256(body)
        target = self.path(sha)
        if target.is_file():
            return sha
        # One compress call and one write: the writer thread shares the GIL with the crawl's reactor. The
        # temporary name is unique per thread (O_EXCL still guards), which spares mkstemp's name search.
        data = gzip.compress(body, compresslevel=4, mtime=0)
        tmp = target.parent / f".tmp-{sha[:16]}-{os.getpid()}-{threading.get_ident()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileNotFoundError:  # first blob under this prefix: make the directories once
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, flags, 0o644)
        except FileExistsError:  # left by a killed process that had the same pid and thread id
            os.unlink(tmp)
            fd = os.open(tmp, flags, 0o644)
        try:
            with os.fdopen(fd, "wb") as raw:
                raw.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return sha

    def get(self, sha: str, max_bytes: int = DEFAULT_MAX_BODY) -> bytes:
        """The body, decompressed with a cap: more than ``max_bytes`` raises ValueError (a planted bomb)."""
        data = self.path(sha).read_bytes()
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, max_bytes + 1)
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise ValueError(f"blob {sha} is larger than {max_bytes} bytes")
        return out


@dataclass
class SnapshotRecord:
    """One fetch outcome, as the crawler hands it to the store (``body`` None: nothing to store)."""

    site_code: str
    url: str
    crawl_id: int | None = None
    kind: str = "page"
    method: str = "GET"
    final_url: str | None = None
    status: int | None = None
    error: str | None = None
    error_message: str | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str | None = None
    declared_charset: str | None = None
    encoding: str | None = None
    body: bytes | None = None
    body_sha256: str | None = None  # set without ``body`` for a 304 that reuses the previous body
    body_size: int | None = None
    not_modified: bool = False
    fetched_at: datetime | None = None
    elapsed_ms: int | None = None
    depth: int = 0
    attempt: int = 1
    referrer: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Validators:
    """What a conditional GET needs from the latest stored fetch of a URL."""

    snapshot_id: int
    etag: str | None
    last_modified: str | None
    body_sha256: str
    body_size: int | None


def _clip(value: str | None, n: int) -> str | None:
    return None if value is None else value[:n]


class SnapshotStore:
    def __init__(self, store: Store, snapshots_dir: Path | str):
        self.store = store
        self.blobs = BlobStore(snapshots_dir)

    # crawls -----------------------------------------------------------------------------------------------
    def start_crawl(self, settings: dict) -> int:
        with self.store.session() as session:
            crawl = Crawl(settings=settings, summary={}, status="running")
            session.add(crawl)
            session.flush()
            return crawl.id

    def finish_crawl(self, crawl_id: int, status: str, summary: dict | None = None) -> None:
        with self.store.session() as session:
            crawl = session.get(Crawl, crawl_id)
            if crawl is None:
                raise KeyError(crawl_id)
            crawl.status = status
            crawl.finished_at = datetime.now(UTC)
            if summary is not None:
                crawl.summary = summary

    def crawl(self, crawl_id: int) -> Crawl | None:
        with self.store.session() as session:
            return session.get(Crawl, crawl_id)

    # snapshots --------------------------------------------------------------------------------------------
    def _values(self, record: SnapshotRecord) -> dict:
        sha = record.body_sha256
        size = record.body_size
        if record.body is not None:
            sha = self.blobs.put(record.body)
            size = len(record.body)
        return dict(
            crawl_id=record.crawl_id,
            site_code=record.site_code,
            kind=record.kind,
            method=record.method,
            url=record.url,
            url_hash=url_hash(record.url),
            final_url=record.final_url,
            status=record.status,
            error=record.error,
            error_message=_clip(record.error_message, 2000),
            headers=record.headers,
            content_type=_clip(record.content_type, 200),
            declared_charset=_clip(record.declared_charset, 40),
            encoding=_clip(record.encoding, 40),
            body_sha256=sha,
            body_size=size,
            not_modified=record.not_modified,
            fetched_at=record.fetched_at or datetime.now(UTC),
            elapsed_ms=record.elapsed_ms,
            depth=record.depth,
            attempt=record.attempt,
            referrer=record.referrer,
            etag=_clip(record.etag, 500),
            last_modified=_clip(record.last_modified, 100),
        )

    def save(self, record: SnapshotRecord) -> int:
        return self.save_many([record])[0]

    def save_many(self, records: Iterable[SnapshotRecord]) -> list[int]:
        """Store bodies first, then the rows in one transaction (one bulk INSERT … RETURNING); returns the
        snapshot ids in order."""
        rows = [self._values(r) for r in records]
        if not rows:
            return []
        with self.store.session() as session:
            result = session.execute(
                insert(Snapshot).returning(Snapshot.id, sort_by_parameter_order=True), rows
            )
            return list(result.scalars())

    def get(self, snapshot_id: int) -> Snapshot | None:
        with self.store.session() as session:
            return session.get(Snapshot, snapshot_id)

    def body(self, snapshot: Snapshot | int, max_bytes: int = DEFAULT_MAX_BODY) -> bytes | None:
        """The stored body of a snapshot (a 304's is its previous body), or None when it has none."""
        if isinstance(snapshot, int):
            found = self.get(snapshot)
            if found is None:
                raise KeyError(snapshot)
            snapshot = found
        if not snapshot.body_sha256:
            return None
        try:
            return self.blobs.get(snapshot.body_sha256, max_bytes)
        except FileNotFoundError:  # one syscall fewer than asking first: most bodies are there
            return None

    def latest(self, site_code: str, url: str, *, with_body: bool = False) -> Snapshot | None:
        """The newest snapshot of a URL (requested URL); ``with_body``: the newest that has a body."""
        query = select(Snapshot).where(Snapshot.site_code == site_code, Snapshot.url_hash == url_hash(url))
        if with_body:
            query = query.where(Snapshot.body_sha256.is_not(None))
        query = query.order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc()).limit(1)
        with self.store.session() as session:
            return session.scalar(query)

    def pages(self, crawl_id: int, site_code: str | None = None) -> list[Snapshot]:
        """The snapshots of a crawl (one site's, or all), in the order they were fetched."""
        query = select(Snapshot).where(Snapshot.crawl_id == crawl_id)
        if site_code is not None:
            query = query.where(Snapshot.site_code == site_code)
        with self.store.session() as session:
            return list(session.scalars(query.order_by(Snapshot.id)))

    def validators(self, site_codes: Sequence[str]) -> dict[tuple[str, str], Validators]:
        """For conditional GET: per (site_code, url), the newest 200/304 snapshot with a body and a validator."""
        out: dict[tuple[str, str], Validators] = {}
        if not site_codes:
            return out
        newest = (
            select(func.max(Snapshot.id).label("id"))
            .where(
                Snapshot.site_code.in_(list(site_codes)),
                Snapshot.body_sha256.is_not(None),
                Snapshot.status.in_([200, 304]),
            )
            .group_by(Snapshot.site_code, Snapshot.url_hash)
            .subquery()
        )
        query = select(
            Snapshot.id,
            Snapshot.site_code,
            Snapshot.url,
            Snapshot.etag,
            Snapshot.last_modified,
            Snapshot.body_sha256,
            Snapshot.body_size,
        ).join(newest, Snapshot.id == newest.c.id)
        with self.store.session() as session:
            for sid, code, url, etag, modified, sha, size in session.execute(query):
                if (etag or modified) and sha:
                    out[(code, url)] = Validators(sid, etag, modified, sha, size)
        return out
