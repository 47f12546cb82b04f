"""Dark links, illegal links and injected scripts: vetoes need two signs, one sign is a notice."""

from __future__ import annotations

from govinspect.text.hidden_links import find_html_threats

PAGE = "http://www.example.gov.cn/art/2020/4/9/art_1_2.html"


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><p>正文内容</p>{body}</body></html>"


def checks(html: str) -> list[tuple[str, str]]:
    return [(f.check, f.severity) for f in find_html_threats(html, page_url=PAGE)]


def test_hidden_spam_anchor_outside_government_is_a_veto() -> None:
    html = page('<div style="display:none"><a href="http://spam.example.com/">澳门新葡京娱乐</a></div>')
    assert checks(html) == [("content.dark_link", "veto")]
    finding = find_html_threats(html, page_url=PAGE)[0]
    assert finding.evidence["host"] == "spam.example.com" and "display:none" in finding.evidence["hidden_by"]


def test_other_hiding_tricks() -> None:
    for wrapper in (
        '<div style="position:absolute;left:-9999px">{}</div>',
        '<div class="hid">{}</div>',
        '<span style="color:#fff;background-color:#FFFFFF">{}</span>',
        '<marquee height="1" scrollamount="5000">{}</marquee>',
    ):
        html = page(
            wrapper.format('<a href="https://bet.example.net/">皇冠体育投注</a>'),
            head="<style>.hid{display:none}</style>",
        )
        assert ("content.dark_link", "veto") in checks(html), wrapper


def test_hidden_menu_to_government_sites_is_fine() -> None:
    html = page(
        '<ul style="display:none"><a href="http://www.gov.cn/">中国政府网</a><a href="/col/1">本站</a></ul>'
    )
    assert checks(html) == []


def test_hidden_outside_link_without_spam_is_only_a_notice() -> None:
    html = page('<div style="display:none"><a href="http://www.example.com/">某网站</a></div>')
    assert checks(html) == [("content.dark_link", "notice")]


def test_visible_spam_link_and_visible_law_enforcement_text() -> None:
    assert checks(page('<a href="http://x.example.com/">百家乐在线</a>')) == [("content.illegal", "veto")]
    assert checks(page("<p>警方依法打击网络赌博和色情违法犯罪</p>")) == []


def test_injected_scripts() -> None:
    redirect = page(
        "<script>var r=document.referrer;if(r.indexOf('baidu')>0||r.indexOf('sogou')>0)"
        "{window.location.href='http://bad.example.com/';}</script>"
    )
    assert checks(redirect) == [("security.malicious_script", "veto")]
    analytics = page('<script src="https://hm.baidu.com/hm.js?abc"></script>')
    assert checks(analytics) == []
    unknown = page('<script src="http://cdn.unknown-host.xyz/a.js"></script>')
    assert checks(unknown) == []  # an unknown third-party script alone is everyday markup
    appended = page("") + '<script src="http://cdn.unknown-host.xyz/a.js"></script>'
    assert checks(appended) == [("security.malicious_script", "notice")]
    spam_src = page('<script src="http://casino-tj.example.com/x.js"></script>')
    assert checks(spam_src) == [("security.malicious_script", "veto")]
    writer = page(
        '<script>document.write(\'<div style="display:none"><a href="http://x.example.com">'
        "时时彩</a></div>');</script>"
    )
    assert ("security.malicious_script", "veto") in checks(writer)
