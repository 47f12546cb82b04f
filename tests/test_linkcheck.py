"""Link checking against the farm on loopback: verified failures, firewalls, refused addresses."""

from __future__ import annotations

import json

from govinspect.farm import Farm
from govinspect.fetch.linkcheck import LinkCheckOptions, check_links

ALLOW = LinkCheckOptions(allow_private_networks=True, retry_spacing=0.05, timeout=5)


def _truth(farm: Farm) -> dict:
    return json.loads(farm.truth_path.read_text(encoding="utf-8"))


def test_broken_targets_fail_twice_and_good_ones_pass(farm_server: Farm) -> None:
    truth = _truth(farm_server)
    broken = [
        d["evidence"]["target"] for s in truth["sites"] for d in s["defects"] if d["check"] == "links.broken"
    ]
    assert broken
    live = next(s for s in farm_server.sites if s.behaviour is None)
    good = [live.base_url, live.homepage_url]
    results = check_links(broken[:6] + good, ALLOW)
    for url in broken[:6]:
        assert results[url].statuses == [404, 404], url
    for url in good:
        assert results[url].statuses == [200], url  # no second request when the first succeeds


def test_down_firewall_and_refused_addresses(farm_server: Farm) -> None:
    down = next(s for s in farm_server.sites if s.down)
    firewall = next(s for s in farm_server.sites if s.behaviour == "firewall")
    results = check_links(
        [down.base_url, firewall.base_url],
        LinkCheckOptions(allow_private_networks=True, retry_spacing=0.05, timeout=5, user_agent="curl/8.0"),
    )
    assert results[down.base_url].errors == ["connect", "connect"]
    assert results[firewall.base_url].statuses == [403]  # an answer, not a failure: not asked again
    refused = check_links([firewall.base_url], LinkCheckOptions(retry_spacing=0.05))
    assert refused[firewall.base_url].errors == ["blocked_ssrf", "blocked_ssrf"]
    assert refused[firewall.base_url].statuses == [None, None]
