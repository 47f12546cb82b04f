"""One probe round: every chosen site's homepage probed once (fetch/probe.py), the probes stored.

Within a round the sites' probes can be spread over ``spread`` seconds (random offsets): rounds that start at
jittered times and sites that start at random offsets within them give each site probes at irregular
intervals, and a thousand sites do not hit one upstream network at the same second.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from govinspect.fetch.probe import ProbeOptions, ProbeResult, ProbeTarget, probe_sites
from govinspect.registry.model import RunStatus
from govinspect.store import Store
from govinspect.store.models import Site
from govinspect.store.probes import save_probes


class UnknownSitesError(Exception):
    """Site codes that are not in the registry; the message lists them."""


def probe_targets(store: Store, site_codes: Sequence[str] | None = None) -> list[ProbeTarget]:
    """The sites to probe: these codes (any status), or every running site of the registry."""
    query = select(Site.site_code, Site.url).order_by(Site.site_code)
    if site_codes is None:
        query = query.where(Site.status == RunStatus.RUNNING.value)
    else:
        query = query.where(Site.site_code.in_(list(site_codes)))
    with store.session() as session:
        targets = [ProbeTarget(code, url) for code, url in session.execute(query)]
    if site_codes is not None:
        missing = sorted(set(site_codes) - {t.site_code for t in targets})
        if missing:
            raise UnknownSitesError(f"名录中没有这些网站标识码：{'、'.join(missing)}")
    return targets


@dataclass
class RoundReport:
    vantage: str
    results: list[ProbeResult] = field(default_factory=list)
    stored: int = 0
    left_out: int = 0  # sites of the round not probed (the round was stopped)

    @property
    def opened(self) -> int:
        return sum(1 for r in self.results if r.ok)

    def errors(self) -> dict[str, int]:
        return dict(Counter(r.error for r in self.results if r.error).most_common())

    def record(self) -> dict:
        """What a Celery task returns: counts, no per-site detail."""
        return {
            "vantage": self.vantage,
            "probes": len(self.results),
            "opened": self.opened,
            "errors": self.errors(),
            "stored": self.stored,
            "left_out": self.left_out,
        }


def run_probe_round(
    store: Store,
    options: ProbeOptions,
    site_codes: Sequence[str] | None = None,
    *,
    spread: float = 0.0,
    seed: int | None = None,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RoundReport:
    """Probe the sites once from this machine (tagged ``options.vantage``) and store every probe."""
    targets = probe_targets(store, site_codes)
    rng = random.Random(seed)
    delays = [rng.uniform(0, spread) for _ in targets] if spread > 0 else None
    results = probe_sites(targets, options, delays=delays, stop=stop, progress=progress)
    stored = save_probes(store, results)
    return RoundReport(options.vantage, results, stored, len(targets) - len(results))
