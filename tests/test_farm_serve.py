"""The farm served on loopback: own origins, behaviours, broken links, search, HTTP semantics, https sites."""

from __future__ import annotations

import json
import socket
import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509

from govinspect.farm import Farm
from govinspect.farm.tls import EXPIRING_DAYS

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) govinspect-test"}


def _get(url: str, **kw) -> httpx.Response:
    """Pages of the farm, whatever their certificate (its own tests below judge it)."""
    last: Exception | None = None
    for _ in range(4):  # the flaky site resets some connections
        try:
            return httpx.get(url, headers=kw.pop("headers", BROWSER), timeout=10, verify=False, **kw)
        except httpx.TransportError as exc:
            last = exc
    raise AssertionError(f"{url}: {last}")


def test_every_live_site_answers_on_its_own_address(farm_server: Farm) -> None:
    trusting = httpx.Client(
        headers=BROWSER, timeout=10, verify=ssl.create_default_context(cafile=farm_server.ca_file)
    )
    unverified = httpx.Client(headers=BROWSER, timeout=10, verify=False)
    with trusting, unverified:
        for site in farm_server.sites:
            if site.down or site.behaviour == "slow":
                continue
            client = unverified if site.tls in ("expired", "self_signed", "wrong_host") else trusting
            for _ in range(3):
                try:
                    r = client.get(site.url)
                    break
                except httpx.TransportError:
                    continue
            assert r.status_code == 200, site
            assert site.name in r.content.decode(site.encoding)
            assert r.headers["content-type"].startswith("text/html")
            if site.header_charset:
                assert f"charset={site.header_charset}" in r.headers["content-type"]


def test_slow_site_is_slow_but_answers(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.behaviour == "slow")
    r = _get(site.url)
    assert r.status_code == 200
    assert farm_server.slow_seconds * 0.9 <= r.elapsed.total_seconds() < 15


def test_down_site_refuses_connections(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.down)
    with pytest.raises(httpx.ConnectError):
        httpx.get(site.url, timeout=5)


def test_firewall_blocks_non_browser_agents(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.behaviour == "firewall")
    assert httpx.get(site.url, headers={"User-Agent": "Scrapy/2.11"}, timeout=5).status_code == 403
    assert httpx.get(site.url, headers=BROWSER, timeout=5).status_code == 200


def test_flaky_site_resets_some_connections(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.behaviour == "flaky")
    outcomes = []
    for _ in range(2 * farm_server.flaky_every):
        try:
            outcomes.append(httpx.get(site.url, headers=BROWSER, timeout=5).status_code)
        except httpx.TransportError:
            outcomes.append("reset")
    assert outcomes.count("reset") >= 1 and outcomes.count(200) >= len(outcomes) // 2


def test_broken_links_404_and_valid_links_200(farm_server: Farm) -> None:
    truth = farm_server.truth()
    kinds = set()
    for s in truth["sites"]:
        for d in s["defects"]:
            if d["check"] == "links.broken":
                assert _get(d["evidence"]["target"]).status_code == 404, d
                page = _get(d["url"])
                assert page.status_code == 200
                kinds.add(d["evidence"]["kind"])
    assert kinds == {"internal", "external"}
    site = next(s for s in farm_server.sites if not s.behaviour)
    assert _get(f"{farm_server.external_base}/www.gov.cn/").status_code == 200
    assert _get(site.base_url + "/robots.txt").status_code == 200


def test_trs_second_page_served(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.style == "trs" and not s.behaviour)
    root = farm_server.site_dir(site)
    second = sorted(root.glob("col/col*/index_1.html"))[0]
    r = _get(site.base_url + "/" + second.relative_to(root).as_posix())
    assert r.status_code == 200 and "createPageHTML(" in r.content.decode(site.encoding)


def test_query_string_site_serves_list_pages(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if s.style == "jsp" and not s.behaviour)
    root = farm_server.site_dir(site) / "module"
    name = sorted(p.name for p in root.glob("list.jsp@id=*&page=2"))[0]
    r = _get(f"{site.base_url}/module/{name.replace('@', '?')}")
    assert r.status_code == 200 and "第2页" in r.content.decode(site.encoding)


def test_search_finds_a_recent_title_except_on_broken_search(farm_server: Farm) -> None:
    truth = {s["site_code"]: s for s in farm_server.truth()["sites"]}
    ok = next(s for s in farm_server.sites if s.search == "ok" and not s.behaviour)
    index = json.loads((farm_server.root / "search" / f"{ok.site_code}.json").read_text("utf-8"))
    title = index[0][0]
    r = _get(f"{ok.base_url}{ok.search_path}", params={ok.search_param: title})
    text = r.content.decode(ok.encoding)
    assert r.status_code == 200 and title in text and "共找到0条" not in text
    broken = next(s for s in farm_server.sites if s.search == "broken")
    defect = next(d for d in truth[broken.site_code]["defects"] if d["check"] == "search.broken")
    r = _get(defect["url"])
    assert r.status_code == 200 and "共找到0条" in r.content.decode(broken.encoding)
    assert _get(defect["evidence"]["article"]).status_code == 200
    missing = next(s for s in farm_server.sites if s.search == "missing")
    assert _get(f"{missing.base_url}/jrobot/search.do?q=x").status_code == 404


def test_conditional_get_head_and_gzip(farm_server: Farm) -> None:
    site = next(s for s in farm_server.sites if not s.behaviour)
    url = site.homepage_url
    r = _get(url)
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert _get(url, headers=BROWSER | {"If-None-Match": etag}).status_code == 304
    assert _get(url, headers=BROWSER | {"If-Modified-Since": modified}).status_code == 304
    head = httpx.head(url, headers=BROWSER, timeout=5, verify=False)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    gz = httpx.get(url, headers=BROWSER | {"Accept-Encoding": "gzip"}, timeout=5, verify=False)
    assert gz.headers.get("content-encoding") == "gzip" and gz.content == r.content


def _handshake(site, context: ssl.SSLContext) -> x509.Certificate:  # type: ignore[no-untyped-def]
    with (
        socket.create_connection((site.host, site.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=site.host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der
    return x509.load_der_x509_certificate(der)


def test_https_sites_present_their_certificates(farm_server: Farm) -> None:
    """Good and expiring certificates verify against the farm CA only; the others fail as their variant says;
    every one is the certificate on disk, except the expiring one, made when the server started."""
    trusting = ssl.create_default_context(cafile=str(farm_server.ca_file))
    reading = ssl._create_unverified_context()
    codes = {"expired": 10, "self_signed": 18, "wrong_host": 64}
    https = [s for s in farm_server.sites if s.tls is not None]
    assert https and all(not s.behaviour for s in https)
    for site in https:
        presented = _handshake(site, reading)
        if site.tls in ("ok", "expiring"):
            assert _handshake(site, trusting) == presented
            with pytest.raises(ssl.SSLCertVerificationError):
                _handshake(site, ssl.create_default_context())  # the system store does not know the farm CA
        else:
            with pytest.raises(ssl.SSLCertVerificationError) as failed:
                _handshake(site, trusting)
            assert failed.value.verify_code == codes[site.tls], (site.tls, failed.value)
        if site.tls == "expiring":
            left = presented.not_valid_after_utc - datetime.now(UTC)
            assert timedelta(days=EXPIRING_DAYS - 1) < left <= timedelta(days=EXPIRING_DAYS)
        else:
            on_disk = (farm_server.root / "tls" / f"{site.site_code}.crt").read_bytes()
            assert presented == x509.load_pem_x509_certificate(on_disk)
        r = _get(site.url)
        assert r.status_code == 200 and site.name in r.content.decode(site.encoding)
    # the http sites do not speak TLS
    plain = next(s for s in farm_server.sites if s.tls is None and not s.behaviour)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(plain, reading)


def test_link_checks_trust_the_ca_file_and_skip_the_sites_own_certificate(farm_server: Farm) -> None:
    """With the farm CA, a good https site's links verify; an invalid certificate fails a link to that host,
    unless the host is the inspected site's own (its certificate is judged once, by transport.tls)."""
    from dataclasses import replace
    from urllib.parse import urlsplit

    from govinspect.fetch.linkcheck import LinkCheckOptions, check_links

    good = next(s for s in farm_server.sites if s.tls == "ok")
    bad = next(s for s in farm_server.sites if s.tls == "expired")
    base = LinkCheckOptions(timeout=5, attempts=1, allow_private_networks=True)
    trusted = replace(base, ca_file=str(farm_server.ca_file))
    gone = bad.base_url + "/no/such/page.html"
    urls = [good.url, bad.url, gone]
    plain = check_links(urls, base)
    assert [plain[u].errors for u in urls] == [["tls"], ["tls"], ["tls"]]
    with_ca = check_links(urls, trusted)
    assert with_ca[good.url].statuses == [200] and with_ca[bad.url].errors == ["tls"]
    own = replace(trusted, unverified_hosts=frozenset({urlsplit(bad.url).netloc}))
    as_own = check_links(urls, own)
    assert [as_own[u].statuses for u in urls] == [[200], [200], [404]]
