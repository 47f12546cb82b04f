"""The probe history a site is judged on, and uptime per site for reports.

Probes enter the site model at judge time (runs/site_judge.py), as runs/history.py does with earlier runs'
lists: the check (checks/availability.py) stays a pure function of the model, and a stored model keeps the
probes it was judged on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from govinspect.checks.availability import PROBE_ZONE, ProbeSummary, probe_window, summarise_probes
from govinspect.extract.model import ProbeSeen
from govinspect.scoring.profile import Profile
from govinspect.store import Store
from govinspect.store.probes import StoredProbe, load_probes


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants of the days start..end (UTC+8) as a half-open interval."""
    return (
        datetime.combine(start, time.min, PROBE_ZONE),
        datetime.combine(end + timedelta(days=1), time.min, PROBE_ZONE),
    )


def _seen(row: StoredProbe) -> ProbeSeen:
    return ProbeSeen(row.probed_at, row.vantage, row.error, row.status, row.latency_ms)


def probe_history(store: Store, site_code: str, as_of: date, profile: Profile) -> tuple[ProbeSeen, ...]:
    """The site's probes of the profile's window before ``as_of`` (the days the check judges)."""
    days = int(profile.section("availability").get("probe_days", 7))
    start, end = probe_window(as_of, days)
    return tuple(_seen(r) for r in load_probes(store, *_bounds(start, end), [site_code]))


def uptime(
    store: Store,
    start: date,
    end: date,
    profile: Profile,
    site_codes: Sequence[str] | None = None,
) -> dict[str, ProbeSummary]:
    """Per site, its probes of the days start..end (UTC+8) summarised under the check's rules (agreement of
    vantage points, the time limit): ``summary.uptime`` is the share of probes that opened the homepage.
    Sites without a probe in the window are absent."""
    rules = profile.section("availability")
    timeout = float(rules.get("timeout_seconds", 15))
    agreement = timedelta(minutes=float(rules.get("agreement_minutes", 30)))
    by_site: dict[str, list[ProbeSeen]] = defaultdict(list)
    for row in load_probes(store, *_bounds(start, end), site_codes):
        by_site[row.site_code].append(_seen(row))
    return {
        code: summarise_probes(probes, start, end, timeout_seconds=timeout, agreement=agreement)
        for code, probes in sorted(by_site.items())
    }


def weekly_uptime(
    store: Store, as_of: date, profile: Profile, site_codes: Sequence[str] | None = None
) -> dict[str, ProbeSummary]:
    """Uptime over the window the check judges at ``as_of`` (the profile's probe_days before it)."""
    start, end = probe_window(as_of, int(profile.section("availability").get("probe_days", 7)))
    return uptime(store, start, end, profile, site_codes)
