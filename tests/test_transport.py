"""Transport checks: TLS certificates served on loopback, IPv6 on ::1, mixed content from parsed pages, the farm's
truth and one whole inspection of an https site. Certificates are made here with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from govinspect.checks.finding import Severity
from govinspect.checks.transport import check_ipv6, check_mixed_content, check_tls, check_transport
from govinspect.extract.model import ContentIssue, Expected, Homepage, Ipv6Probe, SiteModel, Transport
from govinspect.extract.page import parse_page
from govinspect.extract.transport import mixed_resources, page_http_resources, site_transport
from govinspect.farm import Farm
from govinspect.fetch.transport import TransportOptions, probe_ipv6, probe_tls, probe_transport
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile
from govinspect.text.hidden_links import find_html_threats

PROFILE = load_profile("national-2019")
AS_OF = date(2020, 3, 31)
NOW = datetime.now(UTC)


# --- certificates --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(tmp: Path, label: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, *chain) -> Pem:
    cert_path, key_path = tmp / f"{label}.crt", tmp / f"{label}.key"
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, *chain)))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Pem(cert_path, key_path)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pem]:
    tmp = tmp_path_factory.mktemp("certs")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("govinspect test CA"))
        .issuer_name(_name("govinspect test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    out = {"ca": _write(tmp, "ca", ca, ca_key)}

    def leaf(label: str, start: datetime, end: datetime, names=("localhost",), signer=None) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer, issuer_key = (ca.subject, ca_key) if signer is None else (_name(names[0]), key)
        alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] * (
            names == ("localhost",)
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )
        out[label] = _write(tmp, label, cert, key)

    leaf("good", NOW - timedelta(days=10), NOW + timedelta(days=365))
    leaf("expired", NOW - timedelta(days=400), NOW - timedelta(days=5))
    leaf("expiring", NOW - timedelta(days=355), NOW + timedelta(days=10, hours=1))
    leaf("future", NOW + timedelta(days=3), NOW + timedelta(days=400))
    leaf("wrong_host", NOW - timedelta(days=10), NOW + timedelta(days=365), names=("www.example.org",))
    leaf("self_signed", NOW - timedelta(days=10), NOW + timedelta(days=365), signer="self")
    return out


# --- servers -------------------------------------------------------------------------------------------------


def _handler(pages: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # a client that drops the handshake (the verifying probe) is expected


class _Server6(_Server):
    address_family = socket.AF_INET6


@contextmanager
def serving(
    pem: Pem | None = None, pages: dict[str, str] | None = None, host: str = "127.0.0.1"
) -> Iterator[int]:
    server_class = _Server6 if ":" in host else _Server
    server = server_class((host, 0), _handler(pages or {"/": "<html><body>ok</body></html>"}))
    if pem is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem.cert, pem.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _options(certs: dict[str, Pem], **changes: object) -> TransportOptions:
    base = TransportOptions(
        timeout=3, deadline=10, retry_spacing=0.05, cafile=str(certs["ca"].cert), allow_private_networks=True
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _model(transport: Transport, url: str = "https://localhost/") -> SiteModel:
    expected = Expected("3611000003", "测试网站", "测试单位")
    return SiteModel(expected, Homepage(url, ()), transport=transport)


def _tls_findings(certs: dict[str, Pem], label: str, host: str = "localhost", **changes: object):
    with serving(certs[label]) as port:
        probe = probe_tls(f"https://{host}:{port}/", _options(certs, **changes))
    transport = Transport(scheme="https", host=host, tls=probe)
    return probe, check_tls(_model(transport), PROFILE, AS_OF)


# --- TLS -----------------------------------------------------------------------------------------------------


def test_a_valid_certificate_gives_no_finding(certs) -> None:  # type: ignore[no-untyped-def]
    probe, findings = _tls_findings(certs, "good")
    assert probe.verified is True and probe.error is None, probe
    assert probe.certificate is not None and "localhost" in probe.certificate.names
    assert probe.certificate.subject == "CN=localhost" and probe.certificate.issuer == "CN=govinspect test CA"
    assert findings == []
    # an IP address in the certificate is checked as such
    probe, findings = _tls_findings(certs, "good", host="127.0.0.1")
    assert probe.verified is True and findings == []


@pytest.mark.parametrize(
    ("label", "variant", "words"),
    [
        ("expired", "expired", "已过期"),
        ("future", "not_yet_valid", "尚未生效"),
        ("self_signed", "self_signed", "自签名"),
        ("wrong_host", "wrong_host", "域名不符"),
    ],
)
def test_an_invalid_certificate_is_a_deduction_with_its_evidence(certs, label, variant, words) -> None:  # type: ignore[no-untyped-def]
    probe, findings = _tls_findings(certs, label)
    assert probe.verified is False and probe.verify_error, probe
    assert probe.certificate is not None  # read by the second, unverified handshake
    (finding,) = findings
    assert finding.check == "transport.tls" and finding.severity is Severity.DEDUCTION
    assert words in finding.message, finding.message
    evidence = finding.evidence
    assert evidence["variant"] == variant
    assert evidence["subject"] and evidence["issuer"] and evidence["verify_error"] == probe.verify_error
    assert evidence["not_before"] < evidence["not_after"] and isinstance(evidence["days_left"], int)
    if variant == "expired":
        assert evidence["days_left"] < 0
    assert evidence["probed_at"] == probe.probed_at.isoformat()


def test_an_expiring_certificate_is_a_notice_from_the_profile(certs) -> None:  # type: ignore[no-untyped-def]
    probe, findings = _tls_findings(certs, "expiring")
    assert probe.verified is True
    (finding,) = findings
    assert finding.severity is Severity.NOTICE and finding.evidence["days_left"] == 10
    assert "10 天后" in finding.message
    # the threshold is profile data: below it, nothing
    short = replace(PROFILE, settings={**PROFILE.settings, "transport": {"cert_expiry_warning_days": 7}})
    assert check_tls(_model(Transport(scheme="https", tls=probe)), short, AS_OF) == []
    # a notice costs nothing
    assert score_site(findings, PROFILE).score == score_site([], PROFILE).score


def test_the_system_store_is_the_default_and_does_not_trust_the_test_ca(certs) -> None:  # type: ignore[no-untyped-def]
    probe, findings = _tls_findings(certs, "good", cafile=None)
    assert probe.verified is False and findings[0].evidence["variant"] == "untrusted"


def test_probe_failures_are_recorded_not_raised_nor_judged(certs) -> None:  # type: ignore[no-untyped-def]
    # the SSRF guard: loopback refused unless private networks are allowed
    with serving(certs["good"]) as port:
        refused = probe_tls(f"https://localhost:{port}/", _options(certs, allow_private_networks=False))
    assert refused.error and refused.error.startswith("guard") and refused.certificate is None
    # nothing listening
    with serving(certs["good"]) as port:
        pass
    closed = probe_tls(f"https://127.0.0.1:{port}/", _options(certs))
    assert closed.error and closed.error.startswith("connect") and closed.verified is None
    # a plain http server behind an https URL: the handshake fails
    with serving(None) as port:
        plain = probe_tls(f"https://127.0.0.1:{port}/", _options(certs))
    assert plain.error and plain.verified is None
    for probe in (refused, closed, plain):
        assert check_tls(_model(Transport(scheme="https", tls=probe)), PROFILE, AS_OF) == []


def test_an_http_site_gets_no_tls_probe_nor_finding(certs) -> None:  # type: ignore[no-untyped-def]
    transport = probe_transport(
        Transport(scheme="http", host="127.0.0.1"), "http://127.0.0.1:1/", _options(certs)
    )
    assert transport.tls is None and transport.ipv6 is not None and transport.ipv6.status == "not_tested"
    assert check_transport(_model(transport, "http://127.0.0.1:1/"), PROFILE, AS_OF) == []
    # no homepage answered: no probe at all
    assert probe_transport(Transport(), "http://127.0.0.1:1/", _options(certs)) == Transport()


# --- IPv6 ----------------------------------------------------------------------------------------------------


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no ::1 (IPv6 loopback)")


def _localhost_has_aaaa() -> bool:
    try:
        return bool(socket.getaddrinfo("localhost", 80, socket.AF_INET6, socket.SOCK_STREAM))
    except OSError:
        return False


@needs_ipv6
def test_ipv6_served_refused_and_unreachable(certs) -> None:  # type: ignore[no-untyped-def]
    with serving(None, host="::1") as port:
        served = probe_ipv6(f"http://[::1]:{port}/", _options(certs))
        guarded = probe_ipv6(f"http://[::1]:{port}/", _options(certs, allow_private_networks=False))
        named = probe_ipv6(f"http://localhost:{port}/", _options(certs))
    assert served.status == "served" and served.addresses == ("::1",), served
    assert guarded.status == "not_tested" and "回环" in (guarded.reason or ""), guarded
    # /etc/hosts decides whether "localhost" has an IPv6 address on this machine
    assert named.status == ("served" if _localhost_has_aaaa() else "no_aaaa"), named
    unreachable = probe_ipv6(f"http://[::1]:{port}/", _options(certs))  # the server is gone
    assert unreachable.status == "unreachable" and "::1" in (unreachable.reason or ""), unreachable
    for probe in (served, guarded):
        assert check_ipv6(_model(Transport(scheme="http", ipv6=probe)), PROFILE, AS_OF) == []
    (finding,) = check_ipv6(_model(Transport(scheme="http", ipv6=unreachable)), PROFILE, AS_OF)
    assert finding.check == "transport.ipv6" and finding.severity is Severity.DEDUCTION
    assert finding.evidence["variant"] == "unreachable" and finding.evidence["addresses"] == ["::1"]


def test_ipv6_not_tested_for_an_ipv4_literal_and_no_aaaa_is_a_finding(certs) -> None:  # type: ignore[no-untyped-def]
    literal = probe_ipv6("http://127.0.0.1:8080/", _options(certs))
    assert literal.status == "not_tested" and "IPv4" in (literal.reason or "")
    no_name = probe_ipv6("http://no-such-host.invalid/", _options(certs))
    assert no_name.status == "not_tested"  # the name does not resolve at all: nothing to judge
    if not _localhost_has_aaaa():
        missing = probe_ipv6("http://localhost/", _options(certs))
        assert missing.status == "no_aaaa"
        (finding,) = check_ipv6(_model(Transport(scheme="http", ipv6=missing)), PROFILE, AS_OF)
        assert "AAAA" in finding.message and finding.evidence["variant"] == "no_aaaa"
    probe = Ipv6Probe("www.example.gov.cn", 443, "not_tested", reason="本机无IPv6路由")
    assert check_ipv6(_model(Transport(scheme="https", ipv6=probe)), PROFILE, AS_OF) == []


# --- mixed content -------------------------------------------------------------------------------------------

MIXED_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>测试</title>
<link rel="stylesheet" href="http://cdn.example.com/site.css">
<link rel="canonical" href="http://www.example.gov.cn/">
<link rel="alternate" href="http://www.example.gov.cn/rss.xml">
<link rel="shortcut icon" href="http://www.example.gov.cn/favicon.ico">
<script src="http://cdn.example.com/jquery.js"></script>
<script type="text/template" src="http://cdn.example.com/tpl.html"></script>
<!--[if lt IE 9]><script src="http://cdn.example.com/html5shiv.js"></script><![endif]-->
<script src="/js/own.js"></script>
<script src="//cdn.example.com/relative-scheme.js"></script>
</head><body>
<a href="http://www.other.gov.cn/">友情链接</a>
<img src="http://img.example.com/banner.jpg" alt="横幅">
<img data-src="http://img.example.com/lazy.jpg" src="/img/blank.gif">
<iframe src="http://map.example.com/embed"></iframe>
<object data="http://media.example.com/player.swf"></object>
<video poster="http://media.example.com/poster.jpg"><source src="http://media.example.com/v.mp4"></video>
<noscript><img src="http://stat.example.com/pixel.gif"></noscript>
<form action="http://www.example.gov.cn/search"><input name="q"></form>
</body></html>"""


def test_an_https_page_reports_what_the_browser_loads_over_http() -> None:
    page = parse_page("https://www.example.gov.cn/", MIXED_PAGE.encode())
    found = {url: (kind, active) for url, kind, active in page_http_resources(page)}
    assert found == {
        "http://cdn.example.com/site.css": ("stylesheet", True),
        "http://www.example.gov.cn/favicon.ico": ("icon", False),
        "http://cdn.example.com/jquery.js": ("script", True),
        "http://img.example.com/banner.jpg": ("img", False),
        "http://map.example.com/embed": ("iframe", True),
        "http://media.example.com/player.swf": ("object", True),
        "http://media.example.com/poster.jpg": ("img", False),
        "http://media.example.com/v.mp4": ("source", False),
    }
    model = _model(site_transport((_Snap(1), page), []), "https://www.example.gov.cn/")
    (finding,) = check_mixed_content(model, PROFILE, AS_OF)
    assert finding.severity is Severity.DEDUCTION and finding.url == "https://www.example.gov.cn/"
    assert finding.evidence["count"] == 8 and finding.evidence["active_count"] == 4
    assert finding.evidence["active_kinds"] == ["stylesheet", "script", "iframe", "object"]
    assert "主动内容 4 个" in finding.message and finding.snapshot_id == 1


@dataclass(frozen=True)
class _Snap:
    snapshot_id: int | None


def test_a_template_resource_is_reported_once_with_its_page_count() -> None:
    home = parse_page(
        "https://a.gov.cn/", b'<html><body><script src="http://a.gov.cn/t.js"></script></body></html>'
    )
    article = parse_page(
        "https://a.gov.cn/art/1.html",
        b'<html><body><script src="http://a.gov.cn/t.js"></script><img src="http://a.gov.cn/p.png"></body></html>',
    )
    clean = parse_page("https://a.gov.cn/art/2.html", b'<html><body><img src="/p.png"></body></html>')
    transport = site_transport((_Snap(1), home), [(_Snap(2), article), (_Snap(1), home), (_Snap(3), clean)])
    assert [(r.page_url, r.url, r.pages) for r in transport.mixed] == [
        ("https://a.gov.cn/", "http://a.gov.cn/t.js", 2),
        ("https://a.gov.cn/art/1.html", "http://a.gov.cn/p.png", 1),
    ]
    findings = check_mixed_content(_model(transport, "https://a.gov.cn/"), PROFILE, AS_OF)
    assert [f.url for f in findings] == ["https://a.gov.cn/", "https://a.gov.cn/art/1.html"]
    assert findings[1].evidence["active_count"] == 0 and "被动内容" in findings[1].message


def test_an_http_site_gets_a_notice_for_other_hosts_only() -> None:
    html = (
        b'<html><body><script src="http://a.gov.cn/own.js"></script><img src="/x.png">'
        b'<img src="http://cdn.example.com/banner.jpg"></body></html>'
    )
    home = parse_page("http://a.gov.cn/", html)
    transport = site_transport((_Snap(1), home), [])
    assert transport.scheme == "http" and [r.url for r in transport.mixed] == [
        "http://cdn.example.com/banner.jpg"
    ]
    (finding,) = check_mixed_content(_model(transport, "http://a.gov.cn/"), PROFILE, AS_OF)
    assert (
        finding.severity is Severity.NOTICE
        and finding.evidence["resource"] == "http://cdn.example.com/banner.jpg"
    )
    assert finding.message.startswith("站点以http提供；改为https后此资源为混合内容")
    # an http page of an https site is not its template: left out
    assert mixed_resources([(1, home)], "https") == ()


def test_the_farm_truth_of_mixed_content_is_found_without_false_positives(farm: Farm) -> None:
    """Every farm site's homepage (read from disk) against truth.json, notices included."""
    truth_keys, found_keys = set(), set()
    for ts in farm.truth()["sites"]:
        site = farm.site(ts["site_code"])
        if site.down:
            continue
        for d in ts["defects"]:
            if d["check"] == "transport.mixed_content":
                truth_keys.add((ts["site_code"], d["url"], d["evidence"]["resource"], d["severity"]))
        path = farm.site_dir(site) / "index.html"
        if not path.exists():
            continue
        headers = {"Content-Type": f"text/html; charset={site.header_charset}"} if site.header_charset else {}
        home = parse_page(ts["homepage"], path.read_bytes(), headers=headers, reference=farm.as_of)
        # what the text checks report on the page (an injected hidden frame is not also mixed content)
        threats = find_html_threats(home.decoded.text, page_url=home.url, own_hosts=(home.host,))
        content = tuple(
            ContentIssue(t.check, home.url, None, t.severity, t.text, None, t.message, evidence=t.evidence)
            for t in threats
        )
        model = replace(_model(site_transport((_Snap(None), home), []), ts["homepage"]), content=content)
        for f in check_transport(model, PROFILE, farm.as_of):
            assert f.check == "transport.mixed_content", f  # a notice on http sites, a deduction on https
            assert f.evidence["resource"] not in {t.evidence.get("target") for t in threats}
            found_keys.add((ts["site_code"], f.url, f.evidence["resource"], f.severity.value))
    assert truth_keys, "the farm has no mixed-content defect to find"
    assert found_keys == truth_keys


# --- the whole inspection ------------------------------------------------------------------------------------

REGISTRY_HEADER = "网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态,ICP备案号,公安备案号\n"


def test_inspect_reports_tls_and_mixed_content_of_an_https_site(certs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from govinspect.config import load_settings
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.fetch.linkcheck import LinkCheckOptions
    from govinspect.registry import service
    from govinspect.runs.inspect import InspectOptions, inspect_sites
    from govinspect.runs.rescore import rescore_run
    from govinspect.runs.show import load_result
    from govinspect.store import open_store
    from govinspect.store.results import SiteResult

    page = (
        "<html><head><title>测试市人民政府</title></head><body><h1>测试市人民政府</h1>"
        '<script src="http://127.0.0.1:9/x.js"></script><p>正文</p></body></html>'
    )
    with serving(certs["self_signed"], {"/": page, "/index.html": page}) as port:
        csv_path = tmp_path / "registry.csv"
        csv_path.write_text(
            REGISTRY_HEADER
            + f"5400000002,测试市人民政府,https://127.0.0.1:{port}/,测试市人民政府办公室,省本级,省级门户,运行,,\n",
            encoding="utf-8-sig",
        )
        settings = load_settings(env={"GOVINSPECT_HOME": str(tmp_path / "home")})
        store = open_store(settings.database_url)
        try:
            report = service.import_file(store, csv_path)
            options = InspectOptions(
                as_of=AS_OF,
                crawl=CrawlOptions(
                    max_pages=5, delay=0.0, homepage_retry_spacing_s=0.1, allow_private_networks=True
                ),
                links=LinkCheckOptions(retry_spacing=0.05, timeout=3, attempts=1),
                render=False,
                screenshots=False,
                text_checks=False,
            )
            result = inspect_sites(store, settings, [str(k) for k in report.keys], options)
            stored = load_result(store, "5400000002")
            with store.session() as session:
                data = session.query(SiteResult).filter_by(run_id=result.run_id).one().model
            rescored = rescore_run(store, settings, result.run_id)
        finally:
            store.dispose()
    (outcome,) = result.outcomes
    by_check = {f.check: f for f in outcome.findings if f.check.startswith("transport.")}
    assert set(by_check) == {"transport.tls", "transport.mixed_content"}, outcome.findings
    tls = by_check["transport.tls"]
    assert tls.evidence["variant"] == "self_signed" and tls.evidence["subject"] == "CN=localhost"
    mixed = by_check["transport.mixed_content"]
    assert mixed.severity is Severity.DEDUCTION and mixed.evidence["active_kinds"] == ["script"]
    assert {"transport.tls", "transport.mixed_content"} <= {f.check for f in stored.findings}
    assert any(d.item_id == "transport" and d.count == 2 for d in outcome.score.deductions)
    # the stored model carries the probes (IPv6: an IPv4 literal, not tested); rescore re-judges them
    model = model_from_dict(data)
    assert model.transport.scheme == "https" and model.transport.ipv6.status == "not_tested"
    assert model.transport.tls.verify_code == 18 and model.transport.tls.certificate.subject == "CN=localhost"
    (again,) = rescored.outcomes
    assert sorted(f.check for f in again.findings if f.check.startswith("transport.")) == sorted(by_check)


def test_the_transport_model_round_trips_through_json(certs) -> None:  # type: ignore[no-untyped-def]
    with serving(certs["expired"]) as port:
        probe = probe_tls(f"https://localhost:{port}/", _options(certs))
    page = parse_page("https://a.gov.cn/", b'<html><body><img src="http://a.gov.cn/p.png"></body></html>')
    transport = replace(site_transport((_Snap(4), page), []), tls=probe)
    model = _model(transport)
    again = model_from_dict(model_to_dict(model))
    assert again.transport == transport and isinstance(again.transport.tls.probed_at, dt.datetime)
    assert check_transport(again, PROFILE, AS_OF) == check_transport(model, PROFILE, AS_OF)
