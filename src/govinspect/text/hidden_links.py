"""``content.dark_link``, ``content.illegal`` and ``security.malicious_script`` on an HTML page.

These are vetoes, so a veto needs two independent signs: a hidden anchor (or an injected block) *and* a
gambling/pornography term or a non-government target; a referrer-based redirect to a non-government host; a
script that writes a hidden block of outside links; an invisible frame (zero size, or hidden by its own style)
loading a page from an outside host; ``eval`` of encoded code that loads an outside script or frame. One sign
alone is a ``notice`` for a person to confirm: hidden drop-down menus and tab panels are everyday markup on
government portals. ``find_illegal_text`` reads plain text: illegal goods advertised with a sales word and a
contact channel (a spam message published on a board).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from govinspect.extract.html import html_parser
from govinspect.text.finding import TextFinding
from govinspect.text.spam import LAW_FRAME, SpamLexicon, readable
from govinspect.text.spam import load as load_spam

# lxml.html's own parser options (comments kept: text split by a comment is read as two parts), the element
# classes chosen in C
_PARSER = html_parser()


def _spam() -> SpamLexicon:
    """Gambling, pornography and illegal-goods terms of ``data/illegal.yaml`` (compiled once)."""
    return load_spam()


def _strong(text: str) -> str | None:
    """The first term of ``text`` that is spam evidence by itself (strong, no law-enforcement wording)."""
    verdict = _spam().judge(text, squeeze=False)
    return verdict.term if verdict is not None and verdict.level == "strong" and not verdict.law else None


def _illegal_terms(text: str) -> list[tuple[int, int]]:
    """Spans of illegal-goods terms, longest first where they overlap (one pass, case-insensitive)."""
    return _spam().goods_spans(text)


_SALE = re.compile(
    r"出售|销售|出卖|售卖|批发|零售|转让|低价|特价|价格优惠|包邮|货到付款|保真|招代理|高价回收|收购|专业办理"
)
_CHANNEL = re.compile(
    r"(?:QQ|qq|扣扣|Q号)\s*(?:号|群)?\s*[:：]?\s*\d{5,11}|(?:微信|薇信|威信|V信|VX|vx|wx|WX)\s*(?:号)?\s*[:：]?\s*"
    r"[A-Za-z0-9_-]{5,}|加\s*[VvＶｖ微]|货到付款|(?:电话|手机|热线|联系)\s*[:：]?\s*1[3-9]\d{9}|"
    r"(?:TG|Telegram|飞机号)\s*[:：@]"
)
_LAW_FRAME = LAW_FRAME
_GOV_HOST = re.compile(r"(^|\.)(gov\.cn|政务|gov|mil\.cn)$|\.gov\.[a-z]{2}$", re.I)
# Third-party scripts government sites commonly load: analytics, accessibility, CDNs.
_KNOWN_SCRIPT_HOSTS = re.compile(
    r"(^|\.)(baidu\.com|bdstatic\.com|cnzz\.com|51\.la|qq\.com|gtimg\.cn|jquery\.com|bootcdn\.net|"
    r"staticfile\.org|cdnjs\.cloudflare\.com|jsdelivr\.net|unpkg\.com|conac\.cn|ucap\.com\.cn|"
    r"gov\.cn|govcn\.cn|cyberpolice\.cn|beian\.gov\.cn|sogou\.com|so\.com|weibo\.com|sina\.com\.cn|"
    r"people\.com\.cn|people\.cn|xinhuanet\.com|cctv\.com|hanweb\.com|trs\.com\.cn|trs\.cn|kaipuyun\.cn|"
    r"webterren\.com|baidustatic\.com|bshare\.cn|hubpd\.com|bdimg\.com|jiathis\.com|"
    r"googletagmanager\.com|google-analytics\.com|doubleclick\.net|amap\.com|autonavi\.com|51yes\.com|"
    r"youku\.com|iqiyi\.com|bilibili\.com|weixin\.qq\.com)$",
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


@lru_cache(maxsize=16384)
def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def is_government_host(host: str, *, own_hosts: tuple[str, ...] = ()) -> bool:
    host = host.lower().rstrip(".")
    return bool(_GOV_HOST.search(host)) or any(host == h or host.endswith("." + h) for h in own_hosts)


@lru_cache(maxsize=16384)
def _trusted(host: str, own: tuple[str, ...]) -> bool:
    """No host, a government or the site's own host, or a well-known service: a link there is not outside."""
    return not host or is_government_host(host, own_hosts=own) or bool(_KNOWN_SCRIPT_HOSTS.search(host))


def _same_host_href(href: str) -> bool:
    """Whether ``urljoin(page_url, href)`` keeps the (http or https) page's host without parsing: no scheme
    (no colon), no authority (no leading ``//``), nothing ``urlsplit`` strips or removes to make one (a
    leading control character or space, a tab or line break)."""
    return (
        ":" not in href
        and href[0] > " "
        and not href.startswith("//")
        and "\t" not in href
        and "\n" not in href
        and "\r" not in href
    )


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
        doc = etree.fromstring(html, _PARSER)  # lxml.html.document_fromstring, its element classes
    except (etree.ParserError, ValueError):
        return []
    if doc is None:
        return []  # "Document is empty"
    own = tuple(h.lower() for h in own_hosts)
    # A relative link stays on the page's own host, which is trusted: no need to resolve it.
    relative_is_own = False
    if page_url and (h := _host(page_url)):
        own = (*own, h)
        relative_is_own = page_url.startswith(("http://", "https://"))
    classes, ids = _hidden_selectors(doc)
    findings: list[TextFinding] = []
    hidden_outside: list[tuple[etree._Element, str, str]] = []
    spam = _spam()
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if relative_is_own and _same_host_href(href):
            continue
        target = urljoin(page_url, href) if page_url else href
        host = _host(target)
        if _trusted(host, own):
            continue
        label = " ".join((anchor.text_content() or "").split()) + " " + (anchor.get("title") or "")
        verdict = spam.judge(label)
        in_url = spam.strong_term(target)
        # Veto: a strong term (or two different weak ones) with no law-enforcement wording beside it, or a
        # strong term in the address itself. Anything less is a notice.
        certain = in_url is not None or (
            verdict is not None and verdict.level == "strong" and not verdict.law
        )
        term = verdict.term if verdict is not None else in_url
        why = _hiding(anchor, classes, ids)
        evidence = {"href": target, "host": host, "text": label.strip()[:100]}
        if verdict is not None:
            evidence["terms"] = list(verdict.terms)
        if why is not None:
            hidden_outside.append((anchor, target, why))
            evidence["hidden_by"] = why
            if term is not None:
                evidence["term"] = term
                findings.append(
                    _finding(
                        "content.dark_link",
                        "veto" if certain else "notice",
                        label.strip(),
                        f"页面含隐藏的外部链接（暗链）：指向 {host}，链接{'文字' if in_url is None else '文字或地址'}含“{term}”，"
                        f"隐藏方式：{why}" + ("" if certain else "，请人工确认"),
                        evidence,
                    )
                )
        elif term is not None and (certain or (verdict is not None and verdict.level == "strong")):
            evidence["term"] = term
            findings.append(
                _finding(
                    "content.illegal",
                    "veto" if certain else "notice",
                    label.strip(),
                    f"页面含指向非政府网站的违法违规链接：{host}，链接{'文字' if in_url is None else '文字或地址'}含“{term}”"
                    + ("" if certain else "，请人工确认语境"),
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
    findings.extend(_iframes(doc, html, page_url, own, classes, ids))
    findings.extend(_injected_text(doc, classes, ids))
    return findings


def _base_domain(host: str) -> str:
    """The registrable part of ``host`` (www.jiangxi.gov.cn → jiangxi.gov.cn, a.b.com.cn → b.com.cn)."""
    if _IP.match(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in ("com", "net", "org", "gov", "edu", "ac") and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _outside_host(host: str, own: tuple[str, ...]) -> bool:
    """A host that is neither government, nor the site's own (or its registrable domain), nor a well-known
    service that government pages embed."""
    if not host or is_government_host(host, own_hosts=own) or _KNOWN_SCRIPT_HOSTS.search(host):
        return False
    return _base_domain(host) not in {_base_domain(h) for h in own}


def _pixels(value: str | None) -> int | None:
    m = re.fullmatch(r"\s*(\d+)(?:\.\d+)?\s*(?:px)?\s*", value or "")
    return int(m.group(1)) if m else None


def _zero_size(frame: etree._Element) -> str | None:
    style = frame.get("style") or ""
    sizes = []
    for name in ("width", "height"):
        value = _pixels(frame.get(name))
        if (
            m := re.search(rf"(?:^|[;\s]){name}\s*:\s*([\d.]+\s*(?:px)?)\s*(?:;|$)", style, re.I)
        ) is not None:
            value = _pixels(m.group(1))
        sizes.append(value)
    width, height = sizes
    if (width is not None and width == 0) or (height is not None and height == 0):
        return f"width={width} height={height}"
    if width is not None and height is not None and width <= 1 and height <= 1:
        return f"width={width} height={height}"
    return None


_RAW_IFRAME = re.compile(r"<i?frame\b[^>]*>", re.I)


def _iframes(
    doc: etree._Element, html: str, page_url: str, own: tuple[str, ...], classes: set[str], ids: set[str]
) -> list[TextFinding]:
    """Invisible frames loading an outside page: the classic 挂马 (zero size or display:none).

    Two signs make the veto: the frame is invisible to a reader, and its page is on a host that is not
    government, not the site's own and not a well-known embedded service. A frame tag outside the document
    (after ``</html>``) loading an outside host is a veto even when visible.
    """
    out: list[TextFinding] = []
    frames = [(f, False) for f in doc.iter("iframe", "frame")]
    lower = html.lower()
    opening, closing = lower.find("<html"), lower.rfind("</html>")
    raw = []
    if opening > 0:
        raw += _RAW_IFRAME.findall(html, 0, opening)
    if closing >= 0:
        raw += _RAW_IFRAME.findall(html, closing)
    for tag in raw:
        try:
            frames.append((lxml.html.fragment_fromstring(tag.rstrip("/>") + "></iframe>"), True))
        except (etree.ParserError, ValueError):
            continue
    seen: set[str] = set()
    for frame, outside_document in frames:
        src = (frame.get("src") or "").strip()
        if not src or src.lower().startswith(("about:", "javascript:", "data:", "#")) or src in seen:
            continue
        target = urljoin(page_url, src) if page_url else ("http:" + src if src.startswith("//") else src)
        host = _host(target)
        if not _outside_host(host, own):
            continue
        severity = "veto"
        why = _zero_size(frame) or _frame_hidden(frame)
        if why is None and not outside_document:
            # Inside a hidden block only: an inactive tab panel with an embedded video looks the same.
            why = _hiding(frame, classes, ids)
            severity = "notice"
            if why is None:
                continue
        seen.add(src)
        reason = why or "框架位于页面结构之外"
        out.append(
            _finding(
                "security.malicious_script",
                severity,
                src,
                f"页面含隐藏的外部框架（典型的挂马手法）：加载 {host} 的页面，隐藏方式：{reason}"
                + ("" if severity == "veto" else "，请人工确认"),
                {"pattern": "hidden_iframe", "src": src, "target": target, "host": host, "hidden_by": reason},
            )
        )
    return out


_OFF_SCREEN = re.compile(r"(?:left|top|text-indent|margin-left|margin-top)\s*:\s*-\s*\d{3,}", re.I)


def _frame_hidden(frame: etree._Element) -> str | None:
    """The frame itself hidden by its own style, or pushed off-screen by an ancestor (not tab-panel markup)."""
    style = frame.get("style") or ""
    if _HIDDEN_STYLE.search(style):
        return f'<{frame.tag} style="{style.strip()[:80]}">'
    node = frame.getparent()
    while node is not None and isinstance(node.tag, str):
        style = node.get("style") or ""
        if _OFF_SCREEN.search(style):
            return f'<{node.tag} style="{style.strip()[:80]}">'
        node = node.getparent()
    return None


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
                spam = _strong(code)
                severity = "veto" if outside and spam else "notice"
                out.append(
                    _finding(
                        "security.malicious_script",
                        severity,
                        code[m.start() : m.end()],
                        "页面脚本写入隐藏内容"
                        + (f"，含外部链接（{', '.join(sorted(set(outside)))}）" if outside else "")
                        + (f"及“{spam}”" if spam else "")
                        + ("" if severity == "veto" else "，请人工确认"),
                        {"pattern": "document_write_hidden", "hosts": sorted(set(outside))},
                    )
                )
        if code and (found := _obfuscated_loader(code, own)) is not None:
            out.append(found)
        if src.lower().startswith(("http://", "https://", "//")):
            host = _host(src if not src.startswith("//") else "http:" + src)
            if not host or is_government_host(host, own_hosts=own) or _KNOWN_SCRIPT_HOSTS.search(host):
                continue
            spam = _spam().strong_term(src)
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
                        + (f"，地址含“{spam}”" if spam else "")
                        + ("，脚本位于页面结构之外" if outside else "")
                        + ("" if spam else "，请人工确认"),
                        {"pattern": "unknown_script_host", "src": src, "host": host, "outside_html": outside},
                    )
                )
    return out


_EVAL = re.compile(r"\beval\s*\(|\[\s*[\"']eval[\"']\s*\]|\bnew\s+Function\s*\(")
_UNESCAPE = re.compile(r"\b(?:unescape|decodeURIComponent|decodeURI)\s*\(\s*([\"'])(.*?)\1\s*\)", re.S)
_CHAR_CODES = re.compile(r"String\.fromCharCode\s*\(\s*([\d\s,]+?)\s*\)")
_ATOB = re.compile(r"\batob\s*\(\s*([\"'])([A-Za-z0-9+/=]{8,})\1\s*\)")
_JS_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})")
_LOADS = re.compile(
    r"document\.write|createElement\s*\(\s*[\"'](?:script|iframe)|<\s*(?:script|iframe)|\.src\s*=|location",
    re.I,
)
_ANY_URL_HOST = re.compile(
    r"(?:https?:|[\"'(=]\s*)//([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:[a-z]{2,}|\d{1,3}))(?=[:/\"'?\s]|$)", re.I
)


def _js_unescape(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = next(g for g in m.groups() if g is not None)
        return chr(int(code, 16))

    return _JS_ESCAPE.sub(one, value)


def _deobfuscate(code: str) -> str:
    """The strings an obfuscated script hands to ``eval``: unescape/fromCharCode/atob/escape sequences."""
    import base64

    parts = [_js_unescape(m.group(2)) for m in _UNESCAPE.finditer(code)]
    for m in _CHAR_CODES.finditer(code):
        try:
            parts.append("".join(chr(int(n)) for n in m.group(1).split(",") if n.strip()))
        except (ValueError, OverflowError):
            continue
    for m in _ATOB.finditer(code):
        try:
            parts.append(base64.b64decode(m.group(2)).decode("utf-8", errors="replace"))
        except ValueError:
            continue
    if "\\x" in code or "\\u" in code:
        parts.append(_js_unescape(code))
    return "\n".join(parts)


def _obfuscated_loader(code: str, own: tuple[str, ...]) -> TextFinding | None:
    """``eval`` of an encoded string that writes a script or frame from an outside host: a defacer's loader.

    Veto when the decoded text loads something from a host that is not government, not the site's own and not
    a well-known service; a notice when it writes or loads content but names no such host.
    """
    if not _EVAL.search(code):
        return None
    decoded = _deobfuscate(code)
    if not decoded or not _LOADS.search(decoded):
        return None
    hosts = sorted({h.lower() for h in _ANY_URL_HOST.findall(decoded) if _outside_host(h.lower(), own)})
    return _finding(
        "security.malicious_script",
        "veto" if hosts else "notice",
        decoded[:200],
        "页面脚本以 eval 执行编码后的代码"
        + (
            f"，加载外部域名 {', '.join(hosts)} 的内容（典型的挂马手法）"
            if hosts
            else "，写入页面内容，请人工确认"
        ),
        {"pattern": "obfuscated_loader", "hosts": hosts, "decoded": decoded[:300]},
    )


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
    # Every part read below is a piece of the body's text: a body without any term has nothing to report.
    spam = _spam()
    if not spam.hits("".join(body.itertext())):
        return out
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "a"):
            continue
        own_text = " ".join(t for t in (element.text, *(c.tail for c in element)) if t and t.strip())
        verdict = spam.judge(own_text) if own_text else None
        if verdict is None:
            continue
        certain = verdict.level == "strong" and not verdict.law
        why = _hiding(element, classes, ids)
        if why is None and not certain:
            continue  # a visible weak word (彩票, 成人) or news of a crackdown: ordinary government text
        terms = "、".join(verdict.terms)
        out.append(
            _finding(
                "content.illegal",
                "veto" if why and certain else "notice",
                own_text.strip(),
                (
                    f"页面含隐藏的违法违规内容（“{terms}”），隐藏方式：{why}"
                    + ("" if certain else "，请人工确认")
                )
                if why
                else f"页面文字含疑似违法违规词语“{terms}”，请人工确认语境",
                {"term": verdict.term, "terms": list(verdict.terms), "hidden_by": why, "tag": element.tag},
            )
        )
    return out


def find_illegal_text(text: str) -> list[TextFinding]:
    """Illegal goods or services advertised in visible text (a spam message published on a board).

    A veto needs the advert's shape: an illegal-goods, gambling, pornography or forged-document term with a
    sales word and a contact channel (QQ, 微信, 加V, 货到付款, a mobile number) in the same passage, and no
    wording of law enforcement or warnings there. A term with only one of the two, and no such wording, is a
    notice (a term alone is left to the HTML check's notices on spam brands); reports on crackdowns
    (警方破获一起出售仿真枪案件) are not findings.
    """
    out: list[TextFinding] = []
    last_end = -1
    spans = _illegal_terms(text)
    reading = readable(text) if spans else text  # 繁體 sales words and full-width QQ numbers too
    for term_start, term_end in spans:
        if term_start < last_end:
            continue
        a = max(text.rfind("\n", 0, term_start) + 1, term_start - 60)
        b = text.find("\n", term_end)
        b = min(b if b >= 0 else len(text), term_end + 80)
        window = text[a:b]
        if _LAW_FRAME.search(reading, a, b):
            continue
        sale, channel = _SALE.search(reading, a, b), _CHANNEL.search(reading, a, b)
        if not (sale or channel):
            continue  # a term alone: spam brands are already notices on the HTML; other terms are ordinary
        veto = bool(sale and channel)
        last_end = b
        term = text[term_start:term_end]
        signs = [x.group(0) for x in (sale, channel) if x]
        out.append(
            TextFinding(
                check="content.illegal",
                start=a,
                end=b,
                text=window,
                message=(
                    f"页面文字含违法违规信息：“{term}”，并有销售用语和联系方式（{'、'.join(signs)}）"
                    if veto
                    else f"页面文字含疑似违法违规词语“{term}”（{'、'.join(signs)}），请人工确认语境"
                ),
                severity="veto" if veto else "notice",
                evidence={
                    "term": term,
                    "sale": sale.group(0) if sale else None,
                    "channel": channel.group(0) if channel else None,
                },
            )
        )
    return out
