"""Collection: read every account's sources, store new and changed posts, probe menu links; import post lists.

Re-collection is incremental: a source answers 304 to the validators of its last fetch, a page adapter skips
article pages already stored, and a post is written only when it is new or its title, text or time changed
(by (platform, account ID, post key)). Each post keeps its source (adapter kind and URL) and fetch time.
Accounts the registry marks closed are collected too: a closed account that still posts is a finding.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from govinspect.fetch.linkcheck import LinkCheckOptions, check_links_async
from govinspect.newmedia.accounts import load_accounts
from govinspect.newmedia.http import FetchOptions, Http
from govinspect.newmedia.imports import read_posts
from govinspect.newmedia.model import AccountInfo, AccountKey, Post
from govinspect.newmedia.sources import DEFAULT_CLOSURE_PHRASES, Collected, SourceJob, adapter_for
from govinspect.newmedia.tables import PostRow, SourceState
from govinspect.store import Store

Progress = Callable[[int, int], None]
CHUNK = 400


@dataclass(frozen=True)
class CollectOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    closure_phrases: tuple[str, ...] = DEFAULT_CLOSURE_PHRASES
    max_articles: int = 30
    probe_menus: bool = True
    menu_retry_spacing: float = 2.0


@dataclass
class CollectReport:
    accounts: int = 0
    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    closed: int = 0
    new_posts: int = 0
    updated_posts: int = 0
    unchanged_posts: int = 0
    menu_links: int = 0
    menu_failed: int = 0
    unknown_kinds: list[str] = field(default_factory=list)


def _hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def store_posts(session: Session, batch: dict[AccountKey, list[Post]], report: CollectReport) -> None:
    """Insert new posts and update changed ones, keyed by (platform, account ID, post key)."""
    keys = [k for k, posts in batch.items() if posts]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        ids = {k.account_id for k in chunk}
        existing: dict[tuple[str, str, str], tuple[int, str, str, datetime | None]] = {}
        rows = session.execute(
            select(PostRow.id, PostRow.platform, PostRow.account_id, PostRow.post_key, PostRow.title,
                   PostRow.text, PostRow.published_at).where(PostRow.account_id.in_(ids))
        )  # fmt: skip
        for pk, platform, account_id, key, title, text, published in rows:
            existing[(platform, account_id, key)] = (pk, title, text, published)
        inserts, updates = [], []
        for account in chunk:
            seen: set[str] = set()
            for post in batch[account]:
                if post.key in seen:
                    continue
                seen.add(post.key)
                published = _utc(post.published)
                values = {
                    "title": post.title[:5000],
                    "text": post.text,
                    "published_at": published,
                    "post_id": post.post_id,
                    "url": post.url,
                    "source": post.source,
                    "source_url": post.source_url,
                    "fetched_at": _utc(post.fetched_at) or datetime.now(UTC),
                }
                old = existing.get((account.platform, account.account_id, post.key))
                if old is None:
                    inserts.append(
                        values
                        | {
                            "platform": account.platform,
                            "account_id": account.account_id,
                            "post_key": post.key,
                        }
                        | {"first_seen_at": values["fetched_at"]}
                    )
                    report.new_posts += 1
                    continue
                old_published = (
                    old[3].replace(tzinfo=UTC) if old[3] is not None and old[3].tzinfo is None else old[3]
                )
                if (old[1], old[2], old_published) == (values["title"], values["text"], published):
                    report.unchanged_posts += 1
                    continue
                updates.append(values | {"id": old[0]})
                report.updated_posts += 1
        if inserts:
            session.execute(insert(PostRow), inserts)
        if updates:
            session.execute(update(PostRow), updates)


def _known_keys(session: Session, accounts: Sequence[AccountInfo]) -> dict[AccountKey, set[str]]:
    known: dict[AccountKey, set[str]] = {a.key: set() for a in accounts}
    ids = list({a.key.account_id for a in accounts})
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(PostRow.platform, PostRow.account_id, PostRow.post_key).where(
                PostRow.account_id.in_(ids[start : start + CHUNK])
            )
        )
        for platform, account_id, key in rows:
            bucket = known.get(AccountKey(platform, account_id))
            if bucket is not None:
                bucket.add(key)
    return known


def _states(session: Session) -> dict[tuple[str, str, str, str], SourceState]:
    return {(s.platform, s.account_id, s.kind, s.url_hash): s for s in session.scalars(select(SourceState))}


def _save_state(
    session: Session,
    states: dict[tuple[str, str, str, str], SourceState],
    key: AccountKey,
    kind: str,
    url: str,
    now: datetime,
    **values: object,
) -> None:
    identity = (key.platform, key.account_id, kind, _hash(url))
    state = states.get(identity)
    if state is None:
        state = SourceState(
            platform=key.platform, account_id=key.account_id, kind=kind, url=url, url_hash=identity[3],
            first_fetched_at=now, attempts=[],
        )  # fmt: skip
        session.add(state)
        states[identity] = state
    state.fetched_at = now
    for name, value in values.items():
        setattr(state, name, value)


def collect(
    store: Store,
    options: CollectOptions | None = None,
    *,
    accounts: Iterable[AccountKey] | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CollectReport:
    """Collect the sources of the registry's accounts (or of ``accounts``) and probe their menu links."""
    options = options or CollectOptions()
    now = now or datetime.now(UTC)
    wanted = set(accounts) if accounts is not None else None
    with store.session() as session:
        infos = [a for a in load_accounts(session) if wanted is None or a.key in wanted]
        known = _known_keys(session, [a for a in infos if a.sources])
        prior = {
            (s.platform, s.account_id, s.kind, s.url_hash): (s.etag, s.last_modified)
            for s in session.scalars(select(SourceState))
        }
    report = CollectReport(accounts=len(infos))
    jobs: list[SourceJob] = []
    for info in infos:
        for spec in info.sources:
            if adapter_for(spec.kind) is None:
                report.unknown_kinds.append(f"{info.key} {spec.kind}:{spec.url}")
                continue
            etag, modified = prior.get(
                (info.key.platform, info.key.account_id, spec.kind, _hash(spec.url)), (None, None)
            )
            jobs.append(
                SourceJob(
                    info, spec, etag, modified, frozenset(known.get(info.key, ())), now,
                    options.closure_phrases, options.max_articles,
                )
            )  # fmt: skip
    report.sources = len(jobs)
    menu_urls = {entry.url: info.key for info in infos if info.menu for entry in info.menu if entry.url}
    results, probes = asyncio.run(
        _run(jobs, options, list(menu_urls) if options.probe_menus else [], progress)
    )

    with store.session() as session:
        states = _states(session)
        batch: dict[AccountKey, list[Post]] = {}
        for job, collected in zip(jobs, results, strict=True):
            key = job.account.key
            if collected.not_modified:
                report.not_modified += 1
            elif collected.ok:
                report.fetched += 1
            else:
                report.failed += 1
            if collected.closed_text:
                report.closed += 1
            batch.setdefault(key, []).extend(collected.posts)
            values: dict[str, object] = {"ok": collected.ok, "status": collected.status, "error": collected.error,
                                         "closed_text": collected.closed_text}  # fmt: skip
            if collected.ok:
                values |= {"etag": collected.etag, "last_modified": collected.last_modified}
                if not collected.not_modified:
                    values["items"] = collected.items
            _save_state(session, states, key, job.spec.kind, job.spec.url, now, **values)
        store_posts(session, batch, report)
        for info in infos:
            for entry in info.menu or ():
                if not entry.url or entry.url not in probes:
                    continue
                result = probes[entry.url]
                failed = result.failed
                report.menu_links += 1
                report.menu_failed += int(failed)
                _save_state(
                    session, states, info.key, "menu", entry.url, now,
                    ok=not failed, status=result.statuses[-1] if result.statuses else None,
                    error=next((e for e in reversed(result.errors) if e), None),
                    attempts=[[s, e] for s, e in zip(result.statuses, result.errors, strict=True)],
                )  # fmt: skip
    return report


async def _run(
    jobs: Sequence[SourceJob], options: CollectOptions, menu_urls: list[str], progress: Progress | None
) -> tuple[list[Collected], dict]:
    done = 0
    total = len(jobs) + (1 if menu_urls else 0)

    async with Http(options.fetch) as http:

        async def one(job: SourceJob) -> Collected:
            nonlocal done
            adapter = adapter_for(job.spec.kind)
            assert adapter is not None
            try:
                result = await adapter.collect(job, http)
            except Exception as exc:  # a parser bug on one odd page must not lose the other 2,999 accounts
                result = Collected(job.spec.kind, job.spec.url, False, error=f"adapter:{type(exc).__name__}")
            done += 1
            if progress:
                progress(done, total)
            return result

        results = await asyncio.gather(*(one(j) for j in jobs))
    probes: dict = {}
    if menu_urls:
        link_options = LinkCheckOptions(
            timeout=options.fetch.timeout,
            retry_spacing=options.menu_retry_spacing,
            concurrency=options.fetch.concurrency,
            per_host=options.fetch.per_host,
            allow_private_networks=options.fetch.allow_private_networks,
        )
        probes = await check_links_async(menu_urls, link_options)
        if progress:
            progress(total, total)
    return list(results), probes


@dataclass
class PostImportReport:
    posts: int = 0
    accounts: list[AccountKey] = field(default_factory=list)
    unknown_accounts: list[AccountKey] = field(default_factory=list)  # not in the registry
    stored: CollectReport = field(default_factory=CollectReport)


def import_posts(store: Store, path: Path, *, now: datetime | None = None) -> PostImportReport:
    """Import a post list (all or nothing: :class:`~govinspect.newmedia.imports.PostImportError`)."""
    now = now or datetime.now(UTC)
    posts = read_posts(path, fetched_at=now)
    batch: dict[AccountKey, list[Post]] = {}
    for imported in posts.posts:
        batch.setdefault(imported.account, []).append(imported.post)
    report = PostImportReport(posts=len(posts.posts), accounts=list(batch))
    with store.session() as session:
        from govinspect.newmedia.accounts import registry_pks

        registered = registry_pks(session)
        report.unknown_accounts = [k for k in batch if k not in registered]
        store_posts(session, batch, report.stored)
        states = _states(session)
        for key, account_posts in batch.items():
            _save_state(
                session,
                states,
                key,
                "import",
                str(Path(path).resolve()),
                now,
                ok=True,
                items=len(account_posts),
            )
    return report
