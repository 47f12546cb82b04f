"""What earlier runs saw of a site, attached to its model before judging: the column lists of its last few
inspections, from their stored models. Back-dating shows only across runs (an item absent from a list that an
earlier run read, which later appears there under a date before that run)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from govinspect.extract.model import ListSeen
from govinspect.runs.serialize import read_dataclass
from govinspect.store import Store
from govinspect.store.results import Run, SiteResult

EARLIER_RUNS = 3


def earlier_lists(
    store: Store,
    site_code: str,
    *,
    before: datetime,
    exclude_crawl: int | None = None,
    runs: int = EARLIER_RUNS,
) -> tuple[ListSeen, ...]:
    """The list pages the site's last ``runs`` finished inspections (started before ``before``) read."""
    query = (
        select(SiteResult.model, Run.id)
        .join(Run, SiteResult.run_id == Run.id)
        .where(
            SiteResult.site_code == site_code,
            Run.kind == "inspect",
            Run.status == "finished",
            Run.started_at < before,
        )
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(runs)
    )
    if exclude_crawl is not None:
        query = query.where((Run.crawl_id.is_(None)) | (Run.crawl_id != exclude_crawl))
    seen: list[ListSeen] = []
    with store.session() as session:
        for model, run_id in session.execute(query):
            for data in (model or {}).get("lists", []):
                listed = read_dataclass(ListSeen, data)
                seen.append(ListSeen(**{**_fields(listed), "run_id": run_id}))
    return tuple(seen)


def _fields(listed: ListSeen) -> dict:
    return {name: getattr(listed, name) for name in ListSeen.__slots__}
