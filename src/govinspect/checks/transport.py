"""HTTPS certificate, IPv6 and mixed content (INDICATORS.md §3, ``transport.*``).

The probes ran after the crawl (fetch/transport.py) and left their results in the site model with their own
time, so a stored run is re-judged the same way. A probe that could not tell (an error, no IPv6 route on this
machine, an IPv4 literal) gives no finding: the model says why.

An http site gets no ``transport.tls`` finding and no "未启用HTTPS" notice: the 2019 indicators do not require
HTTPS, and whether the host also serves https was not probed. Its scheme is in the model (``show``).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urljoin, urlsplit

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import MixedResource, SiteModel, TlsProbe
from govinspect.scoring.profile import Profile

MAX_RESOURCES_LISTED = 20

# OpenSSL verification codes (X509_V_ERR_*) -> what an official reads.
_VERIFY_VARIANTS: dict[int, tuple[str, str]] = {
    9: ("not_yet_valid", "证书尚未生效"),
    10: ("expired", "证书已过期"),
    18: ("self_signed", "证书为自签名证书，不受信任"),
    19: ("self_signed", "证书链中含自签名证书，不受信任"),
    2: ("untrusted", "证书颁发机构不受信任或服务器未发送中间证书"),
    20: ("untrusted", "证书颁发机构不受信任或服务器未发送中间证书"),
    21: ("untrusted", "证书颁发机构不受信任或服务器未发送中间证书"),
    62: ("wrong_host", "证书与网站域名不符"),
    64: ("wrong_host", "证书与网站地址（IP）不符"),  # a site addressed by IP: the IP is checked instead
}
_GRAVER = frozenset({"security.malicious_script", "content.dark_link"})
_SEVERITIES = {"notice": Severity.NOTICE, "deduction": Severity.DEDUCTION}


def _days_left(probe: TlsProbe) -> int | None:
    if probe.certificate is None:
        return None
    return int((probe.certificate.not_after - probe.probed_at).total_seconds() // 86400)


def _tls_evidence(probe: TlsProbe, variant: str) -> dict[str, object]:
    cert = probe.certificate
    return {
        "variant": variant,
        "host": probe.host,
        "port": probe.port,
        "subject": cert.subject if cert else None,
        "issuer": cert.issuer if cert else None,
        "not_before": cert.not_before.isoformat() if cert else None,
        "not_after": cert.not_after.isoformat() if cert else None,
        "names": list(cert.names[:MAX_RESOURCES_LISTED]) if cert else [],
        "days_left": _days_left(probe),
        "verify_error": probe.verify_error,
        "probed_at": probe.probed_at.isoformat(),
    }


def check_tls(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """An https site's certificate: invalid (verification failed, or its dates exclude the probe's time) is a
    deduction; valid but expiring within the profile's warning days is a notice by default (it still works)."""
    probe = model.transport.tls
    if model.transport.scheme != "https" or probe is None:
        return []
    settings = profile.section("transport")
    home = model.homepage
    cert = probe.certificate
    days = _days_left(probe)
    if probe.verified is False:
        variant, why = _VERIFY_VARIANTS.get(probe.verify_code or 0, ("invalid", "证书验证失败"))
        if cert is not None and variant in ("expired", "not_yet_valid"):
            when = cert.not_after if variant == "expired" else cert.not_before
            why = f"{why}（{'到期' if variant == 'expired' else '生效'}时间 {when.date().isoformat()}）"
        message = f"HTTPS证书无效：{why}"
        return [Finding("transport.tls", home.url, message, _tls_evidence(probe, variant), Severity.DEDUCTION,
                        home.snapshot_id)]  # fmt: skip
    if cert is None or days is None:
        return []  # nothing read: the probe's error is in the model
    if cert.not_after <= probe.probed_at or cert.not_before > probe.probed_at:
        # verification did not run (a handshake only the permissive context completed): the dates still tell
        variant = "expired" if cert.not_after <= probe.probed_at else "not_yet_valid"
        why = "证书已过期" if variant == "expired" else "证书尚未生效"
        return [Finding("transport.tls", home.url, f"HTTPS证书无效：{why}", _tls_evidence(probe, variant),
                        Severity.DEDUCTION, home.snapshot_id)]  # fmt: skip
    warning = settings.get("cert_expiry_warning_days")
    if warning is None or days >= int(warning):
        return []
    severity = _SEVERITIES.get(str(settings.get("expiring_severity", "notice")), Severity.NOTICE)
    message = f"HTTPS证书将于 {days} 天后（{cert.not_after.date().isoformat()}）到期，请及时更换"
    return [Finding("transport.tls", home.url, message, _tls_evidence(probe, "expiring"), severity,
                    home.snapshot_id)]  # fmt: skip


def check_ipv6(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """No AAAA record, or AAAA records none of which accepts a connection while IPv4 does. Not tested: nothing."""
    probe = model.transport.ipv6
    if probe is None or probe.status not in ("no_aaaa", "unreachable"):
        return []
    if probe.status == "no_aaaa":
        message = f"网站域名 {probe.host} 未配置IPv6地址（无AAAA记录），不支持IPv6访问"
    else:
        listed = "、".join(probe.addresses[:3])
        message = f"网站域名 {probe.host} 有IPv6地址（{listed}），但通过IPv6无法连接（端口 {probe.port}）"
    evidence = {
        "variant": probe.status,
        "host": probe.host,
        "port": probe.port,
        "addresses": list(probe.addresses),
        "reason": probe.reason,
        "probed_at": probe.probed_at.isoformat() if probe.probed_at else None,
    }
    home = model.homepage
    return [Finding("transport.ipv6", home.url, message, evidence, Severity.DEDUCTION, home.snapshot_id)]


def _listed(resources: list[MixedResource]) -> list[dict[str, object]]:
    return [
        {"url": r.url, "kind": r.kind, "active": r.active, "pages": r.pages}
        for r in resources[:MAX_RESOURCES_LISTED]
    ]


def _reported_elsewhere(model: SiteModel) -> set[str]:
    """Resources the text checks already report as an injected script or hidden frame, or a dark link: one
    problem is reported once, under its graver name."""
    urls = set()
    for issue in model.content:
        if issue.check in _GRAVER:
            for key in ("target", "src"):
                value = issue.evidence.get(key)
                if isinstance(value, str) and value:
                    try:
                        urls.add(urljoin(issue.url, value))
                    except ValueError:
                        continue
    return urls


def check_mixed_content(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """One finding per page, listing the http resources first seen there (a template's resource is reported
    once, on the homepage, with the number of pages loading it). An https page: a deduction, active content
    (scripts, styles, frames, plugins, which browsers block) named apart. An http site: a notice for resources
    of other hosts, which become mixed content once the site moves to https."""
    reported = _reported_elsewhere(model)
    by_page: dict[str, list[MixedResource]] = {}
    for resource in model.transport.mixed:
        if resource.url not in reported:
            by_page.setdefault(resource.page_url, []).append(resource)
    findings = []
    for page_url, resources in by_page.items():
        active = [r for r in resources if r.active]
        kinds = list(dict.fromkeys(r.kind for r in active))
        evidence: dict[str, object] = {
            "resource": resources[0].url,
            "resources": _listed(resources),
            "count": len(resources),
            "active_count": len(active),
            "active_kinds": kinds,
        }
        if urlsplit(page_url).scheme == "https":
            message = f"HTTPS页面加载了 {len(resources)} 个HTTP资源（混合内容）"
            if active:
                message += f"，其中主动内容 {len(active)} 个（{'、'.join(kinds)}），浏览器会拦截"
            else:
                message += "，均为图片、音视频等被动内容，浏览器会提示不安全"
            severity = Severity.DEDUCTION
        else:
            message = f"站点以http提供；改为https后此资源为混合内容：{resources[0].url}"
            if len(resources) > 1:
                message += f" 等 {len(resources)} 个外部HTTP资源"
            evidence["note"] = "站点以http提供；改为https后此资源为混合内容"
            severity = Severity.NOTICE
        findings.append(
            Finding(
                "transport.mixed_content", page_url, message, evidence, severity, resources[0].snapshot_id
            )
        )
    return findings


def check_transport(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    return [
        *check_tls(model, profile, as_of),
        *check_ipv6(model, profile, as_of),
        *check_mixed_content(model, profile, as_of),
    ]
