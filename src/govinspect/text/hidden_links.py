"""``content.dark_link``, ``content.illegal`` and ``security.malicious_script`` on an HTML page.

These are vetoes, so a veto needs two independent signs: a hidden anchor (or an injected block) *and* a
gambling/pornography term or a non-government target; a referrer-based redirect to a non-government host; a
script that writes a hidden block of outside links. One sign alone is a ``notice`` for a person to confirm:
hidden drop-down menus and tab panels are everyday markup on government portals.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from govinspect.text.finding import TextFinding

# Strong spam vocabulary: brands and phrases of gambling and pornography sites, not words a government page
# uses when reporting on law enforcement (赌博, 色情 alone are not here).
SPAM_TERMS = (
    "澳门新葡京",
    "新葡京",
    "澳门银河",
    "威尼斯人娱乐",
    "金沙娱乐",
    "皇冠体育",
    "皇冠娱乐",
    "太阳城娱乐",
    "百家乐",
    "真人荷官",
    "网上赌场",
    "在线赌场",
    "网络赌场",
    "体育投注",
    "足球投注",
    "时时彩",
    "北京赛车pk10",
    "六合彩开奖",
    "六合彩资料",
    "彩票平台",
    "博彩网站",
    "博彩平台",
    "棋牌游戏平台",
    "开户送彩金",
    "注册送彩金",
    "首存送",
    "娱乐城",
    "成人视频",
    "成人影院",
    "成人电影",
    "av女优",
    "日本av",
    "无码av",
    "一本道",
    "色情视频",
    "黄色网站",
    "约炮",
    "裸聊",
    "bet365",
    "casino",
    "porn",
)
_SPAM = re.compile("|".join(re.escape(t) for t in SPAM_TERMS), re.I)
_GOV_HOST = re.compile(r"(^|\.)(gov\.cn|政务|gov|mil\.cn)$|\.gov\.[a-z]{2}$", re.I)
# Third-party scripts government sites commonly load: analytics, accessibility, CDNs.
_KNOWN_SCRIPT_HOSTS = re.compile(
    r"(^|\.)(baidu\.com|bdstatic\.com|cnzz\.com|51\.la|qq\.com|gtimg\.cn|jquery\.com|bootcdn\.net|"
    r"staticfile\.org|cdnjs\.cloudflare\.com|jsdelivr\.net|unpkg\.com|conac\.cn|ucap\.com\.cn|"
    r"gov\.cn|govcn\.cn|cyberpolice\.cn|beian\.gov\.cn|sogou\.com|so\.com|weibo\.com|sina\.com\.cn|"
    r"people\.com\.cn|people\.cn|xinhuanet\.com|cctv\.com|hanweb\.com|trs\.com\.cn|trs\.cn|kaipuyun\.cn|"
    r"webterren\.com|baidustatic\.com|bshare\.cn|hubpd\.com)$",
    re.I,
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|"
    r"(?:left|top|text-indent|margin-left|margin-top)\s*:\s*-\s*\d{3,}\s*(?:px|em|pt)?|"
    r"font-size\s*:\s*0(?:px|em|pt)?\s*(?:;|$)|"
    r"(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)[^\"']*overflow\s*:\s*hidden|"
    r"overflow\s*:\s*hidden[^\"']*(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)",
    re.I,
)
_COLOR = re.compile(r"(?:^|[;\s])color\s*:\s*([#\w]+)", re.I)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([#\w]+)", re.I)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_REFERRER_REDIRECT = re.compile(
    r"document\.referrer[\s\S]{0,300}?(baidu|sogou|so\.com|google|bing|sm\.cn|360)[\s\S]{0,300}?"
    r"(?:location(?:\.href)?\s*=|location\.replace|window\.open)",
    re.I,
)
_WRITE_HIDDEN = re.compile(
    r"document\.write(?:ln)?\s*\([\s\S]{0,200}?(display\s*:\s*none|position\s*:\s*absolute[^'\"]{0,40}-\d{3,})",
    re.I,
)
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_URL_IN_SCRIPT = re.compile(r"https?://([a-z0-9.-]+\.[a-z]{2,})", re.I)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def is_government_host(host: str, *, own_hosts: tuple[str, ...] = ()) -> bool:
    host = host.lower().rstrip(".")
    return bool(_GOV_HOST.search(host)) or any(host == h or host.endswith("." + h) for h in own_hosts)


def _color(value: str) -> str:
    value = value.lower()
    names = {"white": "#ffffff", "#fff": "#ffffff", "black": "#000000", "#000": "#000000"}
    return names.get(value, value)


def _hidden_selectors(doc: etree._Element) -> tuple[set[str], set[str]]:
    """Classes and ids that a page's own ``<style>`` rules hide (``.x{display:none}``)."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in doc.iter("style"):
        for selectors, body in _CSS_RULE.findall(style.text or ""):
            if not _HIDDEN_STYLE.search(body):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if re.fullmatch(r"\.[\w-]+", selector):
                    classes.add(selector[1:])
                elif re.fullmatch(r"#[\w-]+", selector):
                    ids.add(selector[1:])
    return classes, ids


def _hiding(element: etree._Element, classes: set[str], ids: set[str]) -> str | None:
    """Why ``element`` (or an ancestor) is invisible to a reader, or None."""
    node: etree._Element | None = element
    color: str | None = None
    while node is not None and isinstance(node.tag, str):
        style = node.get("style") or ""
        if _HIDDEN_STYLE.search(style):
            return f'<{node.tag} style="{style.strip()[:80]}">'
        if node.get("hidden") is not None:
            return f"<{node.tag} hidden>"
        if node.tag == "marquee":
            try:
                if int(re.sub(r"\D", "", node.get("height", "") or "9") or 9) <= 1:
                    return "<marquee height≤1>"
                if int(re.sub(r"\D", "", node.get("scrollamount", "") or "0") or 0) >= 1000:
                    return "<marquee scrollamount≥1000>"
            except ValueError:
                pass
        if node.get("id") in ids:
            return f"#{node.get('id')} 由页面样式隐藏"
        hidden_class = next((c for c in (node.get("class") or "").split() if c in classes), None)
        if hidden_class:
            return f".{hidden_class} 由页面样式隐藏"
        if color is None and (m := _COLOR.search(style)):
            color = _color(m.group(1))
        if color is not None and (m := _BACKGROUND.search(style)) and _color(m.group(1)) == color:
            return f"文字颜色与背景色相同（{color}）"
        node = node.getparent()
    return None


def _finding(check: str, severity: str, element_text: str, message: str, evidence: dict) -> TextFinding:
    snippet = element_text[:200]
    return TextFinding(
        check=check,
        start=0,
        end=0,
        text=snippet,
        message=message,
        severity=severity,  # type: ignore[arg-type]
        evidence=evidence,
    )


def find_html_threats(html: str, *, page_url: str = "", own_hosts: tuple[str, ...] = ()) -> list[TextFinding]:
    """Hidden outside links, spam links and injected scripts in one page.

    Offsets are not meaningful on HTML (start = end = 0); ``evidence`` names the element, its target and why
    it is considered hidden or injected.
    """
    if not html.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    own = tuple(h.lower() for h in own_hosts)
    if page_url and (h := _host(page_url)):
        own = (*own, h)
    classes, ids = _hidden_selectors(doc)
    findings: list[TextFinding] = []
    hidden_outside: list[tuple[etree._Element, str, str]] = []
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        target = urljoin(page_url, href) if page_url else href
        host = _host(target)
        if not host or is_government_host(host, own_hosts=own) or _KNOWN_SCRIPT_HOSTS.search(host):
            continue
        label = " ".join((anchor.text_content() or "").split()) + " " + (anchor.get("title") or "")
        spam = _SPAM.search(label) or _SPAM.search(target)
        why = _hiding(anchor, classes, ids)
        evidence = {"href": target, "host": host, "text": label.strip()[:100]}
        if why is not None:
            hidden_outside.append((anchor, target, why))
            evidence["hidden_by"] = why
            if spam:
                evidence["term"] = spam.group(0)
                findings.append(
                    _finding(
                        "content.dark_link",
                        "veto",
                        label.strip(),
                        f"页面含隐藏的外部链接（暗链）：指向 {host}，链接文字含“{spam.group(0)}”，隐藏方式：{why}",
                        evidence,
                    )
                )
        elif spam:
            evidence["term"] = spam.group(0)
            findings.append(
                _finding(
                    "content.illegal",
                    "veto",
                    label.strip(),
                    f"页面含指向非政府网站的违法违规链接：{host}，链接文字含“{spam.group(0)}”",
                    evidence,
                )
            )
    flagged = {f.evidence.get("href") for f in findings}
    hosts = {_host(t) for _, t, _ in hidden_outside if t not in flagged}
    if hosts:
        # Several hidden links to outside hosts in one page: the SEO-spam pattern, still only a notice
        # without a spam term, since hidden menus and tab panels also link out.
        for anchor, target, why in hidden_outside:
            if target in flagged:
                continue
            text = " ".join((anchor.text_content() or "").split())
            findings.append(
                _finding(
                    "content.dark_link",
                    "notice",
                    text,
                    f"页面含隐藏的外部链接，请人工确认：指向 {_host(target)}，隐藏方式：{why}",
                    {"href": target, "host": _host(target), "hidden_by": why, "text": text[:100]},
                )
            )
    findings.extend(_scripts(doc, html, own))
    findings.extend(_injected_text(doc, classes, ids))
    return findings


def _scripts(doc: etree._Element, html: str, own: tuple[str, ...]) -> list[TextFinding]:
    out: list[TextFinding] = []
    scripts = [((s.get("src") or "").strip(), s.text or "", False) for s in doc.iter("script")]
    scripts += [(m.group(1) or "", m.group(2) or "", True) for m in _raw_outside_scripts(html)]
    merged: dict[tuple[str, str], bool] = {}
    for src, code, outside_tag in scripts:
        merged[(src, code)] = merged.get((src, code), False) or outside_tag
    scripts = [(src, code, outside_tag) for (src, code), outside_tag in merged.items()]
    for src, code, outside_tag in scripts:
        if code:
            if (m := _REFERRER_REDIRECT.search(code)) is not None:
                outside = [
                    h for h in _URL_IN_SCRIPT.findall(code) if not is_government_host(h, own_hosts=own)
                ]
                severity = "veto" if outside else "notice"
                out.append(
                    _finding(
                        "security.malicious_script",
                        severity,
                        code[m.start() : m.end()],
                        "页面脚本按搜索引擎来源跳转（典型的挂马/劫持手法）"
                        + (f"，跳转目标：{', '.join(sorted(set(outside)))}" if outside else "，请人工确认"),
                        {"pattern": "referrer_redirect", "hosts": sorted(set(outside))},
                    )
                )
            if (m := _WRITE_HIDDEN.search(code)) is not None:
                outside = [
                    h for h in _URL_IN_SCRIPT.findall(code) if not is_government_host(h, own_hosts=own)
                ]
                spam = _SPAM.search(code)
                severity = "veto" if outside and spam else "notice"
                out.append(
                    _finding(
                        "security.malicious_script",
                        severity,
                        code[m.start() : m.end()],
                        "页面脚本写入隐藏内容"
                        + (f"，含外部链接（{', '.join(sorted(set(outside)))}）" if outside else "")
                        + (f"及“{spam.group(0)}”" if spam else "")
                        + ("" if severity == "veto" else "，请人工确认"),
                        {"pattern": "document_write_hidden", "hosts": sorted(set(outside))},
                    )
                )
        if src.lower().startswith(("http://", "https://", "//")):
            host = _host(src if not src.startswith("//") else "http:" + src)
            if not host or is_government_host(host, own_hosts=own) or _KNOWN_SCRIPT_HOSTS.search(host):
                continue
            spam = _SPAM.search(src)
            # An unknown script alone is everyday markup; only the defacement signs make it worth a look:
            # a bare IP address, a tag outside the document, or a spam word in its address.
            outside = outside_tag or _outside_document(html, src)
            if spam or outside or _IP.match(host):
                out.append(
                    _finding(
                        "security.malicious_script",
                        "veto" if spam else "notice",
                        src,
                        f"页面加载来自未知外部域名的脚本：{host}"
                        + (f"，地址含“{spam.group(0)}”" if spam else "")
                        + ("，脚本位于页面结构之外" if outside else "")
                        + ("" if spam else "，请人工确认"),
                        {"pattern": "unknown_script_host", "src": src, "host": host, "outside_html": outside},
                    )
                )
    return out


_RAW_SCRIPT = re.compile(r"<script\b[^>]*?(?:src\s*=\s*[\"']?([^\"'\s>]+)[^>]*)?>([\s\S]*?)</script>", re.I)


def _raw_outside_scripts(html: str) -> list[re.Match[str]]:
    """Script tags before ``<html`` or after ``</html>``: the parser drops the latter, defacers use both."""
    lower = html.lower()
    opening, closing = lower.find("<html"), lower.rfind("</html>")
    found: list[re.Match[str]] = []
    if opening > 0:
        found += list(_RAW_SCRIPT.finditer(html, 0, opening))
    if closing >= 0:
        found += list(_RAW_SCRIPT.finditer(html, closing))
    return found


def _outside_document(html: str, src: str) -> bool:
    """Whether the script tag loading ``src`` sits before ``<html`` or after ``</html>`` in the raw page."""
    at = html.find(src)
    if at < 0:
        return False
    lower = html.lower()
    opening, closing = lower.find("<html"), lower.rfind("</html>")
    return (opening >= 0 and at < opening) or (closing >= 0 and at > closing)


def _injected_text(doc: etree._Element, classes: set[str], ids: set[str]) -> list[TextFinding]:
    """Spam terms in text a reader does not see (a hidden block) are injected content; visible ones a notice."""
    out: list[TextFinding] = []
    body = doc.find("body")
    if body is None:
        return out
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "a"):
            continue
        own_text = " ".join(t for t in (element.text, *(c.tail for c in element)) if t and t.strip())
        m = _SPAM.search(own_text)
        if not m:
            continue
        why = _hiding(element, classes, ids)
        out.append(
            _finding(
                "content.illegal",
                "veto" if why else "notice",
                own_text.strip(),
                (f"页面含隐藏的违法违规内容（“{m.group(0)}”），隐藏方式：{why}")
                if why
                else f"页面文字含疑似违法违规词语“{m.group(0)}”，请人工确认语境",
                {"term": m.group(0), "hidden_by": why, "tag": element.tag},
            )
        )
    return out
