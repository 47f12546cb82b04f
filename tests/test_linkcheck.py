"""Link checking against the farm on loopback: verified failures, firewalls, refused addresses."""

from __future__ import annotations

import json
from dataclasses import replace

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
    trusting = replace(ALLOW, ca_file=str(farm_server.ca_file))  # some broken links are on https farm sites
    results = check_links(broken[:6] + good, trusting)
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


def test_a_server_trickling_its_headers_is_cut_at_the_timeout() -> None:
    """httpx's own timeout is per read; a byte every 0.2 s would never trip it. The attempt has a deadline."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 200:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow.html"
    try:
        t0 = time.monotonic()
        result = check_links(
            [url], LinkCheckOptions(allow_private_networks=True, retry_spacing=0.05, timeout=1)
        )
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        listener.close()
    assert result[url].errors == ["timeout", "timeout"]
    assert result[url].statuses == [None, None]
    assert elapsed < 6, elapsed  # two attempts of about a second each, not 40 s of trickle


def test_one_name_lookup_per_host_and_a_failed_lookup_is_tried_again(farm_server: Farm, monkeypatch) -> None:
    from govinspect.fetch import linkcheck

    calls: list[str] = []
    real = linkcheck.check_url

    def counting(url, policy, *args):  # the real guard, counted
        calls.append(url)
        return real(url, policy, *args)

    monkeypatch.setattr(linkcheck, "check_url", counting)
    live = next(s for s in farm_server.sites if s.behaviour is None)
    urls = [f"{live.base_url}/nothing-{n}.html" for n in range(12)]
    results = check_links(urls, ALLOW)
    assert all(results[u].statuses == [404, 404] for u in urls)
    assert len(calls) == 1  # 24 requests, one lookup
    calls.clear()
    missing = "http://no-such-host.invalid/index.html"
    assert check_links([missing], ALLOW)[missing].errors == ["dns", "dns"]
    assert len(calls) == 2  # the spaced retry looks the name up again


def test_a_malformed_target_is_an_error_of_its_own_not_a_crash() -> None:
    bad = "http://www.example.gov.cn:80a/index.html"
    results = check_links([bad, "http://[::1/x"], ALLOW)
    assert results[bad].errors == ["invalid_url", "invalid_url"]
    assert results["http://[::1/x"].statuses == [None, None]
