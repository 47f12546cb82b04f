"""The footer of a government page: the block's text and the identity items the indicators ask for.

Found by id/class hints (footer, foot, bottom, copyright, db, bq…) or the ``<footer>`` element; else the last
~1500 characters of the visible text. Identifiers are looked for in the footer first and then in the whole
visible text (a site that prints its 网站标识码 outside the footer block still prints it), so "missing" means
"not printed anywhere on the page as text". Identifiers shown only as images cannot be read: such a page
reports them missing (a check should treat footer findings as deductions, never vetoes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from govinspect.registry.identifiers import (
    PROVINCE_ABBREVIATIONS,
    PsbNumber,
    check_icp,
    check_psb,
    check_site_code,
    find_icp,
    find_psb,
    normalise,
)

__all__ = ["Contact", "Footer", "FooterId", "read_footer"]

FOOTER_TAIL_CHARS = 1500


@dataclass(frozen=True, slots=True)
class FooterId:
    """An identifier as printed: ``value`` when valid (normalised), ``raw`` always, ``error`` when malformed."""

    raw: str
    value: str | None
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.value is not None and self.error is None


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    address: str | None = None

    @property
    def present(self) -> bool:
        return bool(self.phone or self.email or self.address)


@dataclass(frozen=True, slots=True)
class Footer:
    text: str  # the footer block's visible text ("" when the page has none)
    found_by: str  # "element" (id/class/<footer>) | "tail" (last characters of the visible text) | "none"
    site_code: FooterId | None = None
    icp: FooterId | None = None
    psb: FooterId | None = None
    conac: bool = False
    conac_evidence: str | None = None
    sponsor: str | None = None
    contact: Contact = field(default_factory=Contact)
    jiucuo: bool = False  # the national 我为政府网站找错 entry (link, script or text)
    jiucuo_evidence: str | None = None
    jiucuo_other: str | None = None  # another 纠错 entry (the site's own), when the national one is absent
    ads: tuple[AdCandidate, ...] = ()


@dataclass(frozen=True, slots=True)
class AdCandidate:
    text: str
    url: str | None
    reason: str


# ---------------------------------------------------------------------------------------------------------------

_CODE_RE = re.compile(
    r"(?:网站标识码|网站标识|标识码)\s*(?:[:：]|为|是)?\s*(?P<v>[bBｂＢ][mMｍＭ][0-9０-９]+|[0-9０-９]+)?"
)
_CODE_LABEL_RE = re.compile(r"标识码")
_ICP_LOOSE_RE = re.compile(r"(?P<raw>[\u4e00-\u9fff]?\s*ICP\s*[备證证]\s*[:：]?\s*[0-9０-９\-－号]*)", re.I)
_PSB_LOOSE_RE = re.compile(
    r"(?P<abbr>[\u4e00-\u9fff])?公网安备\s*(?:案?号?)\s*[:：]?\s*(?P<d>[0-9０-９]+)\s*(?P<hao>号)?"
)
_SPONSOR_RE = re.compile(r"(?:主办单位|主办方|主\s*办|网站主办)\s*(?:[:：]\s*|\s+)(?P<v>[^\n]+)")
_SPONSOR_STOP_RE = re.compile(
    r"\s|[|丨｜;；,，。©®]|承\s*办|协办|运行维护|运维|维护单位|技术支持|版权所有|联系|地址|电话|邮编|"
    r"邮箱|传真|网站标识码|标识码|ICP|公网安备|备案|E-?mail|建设单位|管理单位|Copyright",
    re.I,
)
_SPONSOR_BEFORE_RE = re.compile(r"(?P<v>[\u4e00-\u9fff（）()]{4,40}?)\s*主办(?![单方])")
_PHONE_RE = re.compile(
    r"(?:电话|热线|联系方式|Tel)\s*[:：]?\s*(?P<v>\(?0\d{2,3}\)?[\s\-－]?\d{7,8}(?:[-－转]\d+)?|1[3-9]\d{9}|12345|\d{7,8})",
    re.I,
)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_ADDRESS_RE = re.compile(r"(?:地址|通讯地址|联系地址)\s*[:：]\s*(?P<v>[^\s|丨｜,，;；]{4,60})")

_JIUCUO_URL_RE = re.compile(r"/exposure/jiucuo|jiucuo\.js|zfwzgl\.www\.gov\.cn|pucha\.kaipuyun\.cn", re.I)
_JIUCUO_TEXT = "我为政府网站找错"
_CONAC_URL_RE = re.compile(r"(?:^|[/.])conac\.cn(?:[:/]|$)|/conac\.(?:js|png|gif)", re.I)

# Commercial advertising markers. Conservative: 公益广告 (public-service ads) are allowed on government sites.
_AD_TEXT_RE = re.compile(
    r"(?<!公益)广告(?!法|管理|监管|监测|违法|整治|审查|经营|行业|产业|市场)|特价|低至\d*折|折起|抢购|秒杀|包邮|奢侈品|专卖店|代购|"
    r"无抵押|贷款当天|快速放款|网贷|信用卡套现|代开发票|发票代开|"
    r"娱乐城|娱乐场|真人娱乐|百家乐|时时彩|六合彩|彩金|博彩|赌场|棋牌游戏|老虎机|葡京|威尼斯人|金沙|"
    r"澳门(?:赌|娱|葡|银河)|体育投注|足球投注|开户送"
)
_GOV_HOST_RE = re.compile(r"\.gov\.cn$|\.政务$|\.gov$|\.edu\.cn$|\.org\.cn$", re.I)
_AD_HOST_RE = re.compile(
    r"(?:^|\.)(?:taobao|tmall|jd|pinduoduo|1688|vip|suning|dangdang|amazon|aliexpress|"
    r"bet365|88bet|bwin|sbobet|pokerstars)\.(?:com|cn|net)$",
    re.I,
)


def _first_identifier_raw(text: str, start: int) -> str:
    return text[start : start + 40].split("\n", 1)[0].strip()


def _site_code(texts: Sequence[str]) -> FooterId | None:
    for text in texts:
        for m in _CODE_RE.finditer(text):
            v = m.group("v")
            if not v:
                continue
            v = normalise(v)
            if v[:2].lower() == "bm":
                v = "bm" + v[2:]
            if len(v) > 10 and check_site_code(v[:10]) is None:
                v = v[:10]  # the code run into the next element's digits: the first ten are the code
            error = check_site_code(v)
            return FooterId(m.group("v"), None if error else v, error)
    for (
        text
    ) in texts:  # a 标识码 label with nothing readable after it (not 党政机关网站标识, which is a badge)
        m = _CODE_LABEL_RE.search(text)
        if m is not None:
            return FooterId(_first_identifier_raw(text, m.start()), None, "网站标识码标签后没有号码")
    return None


def _compact(text: str) -> str:
    # identifiers written with spaces inside ("京ICP备 05070218 号", "京 ICP 备…"): close the gaps
    t = normalise(text)
    t = re.sub(r"ICP\s*备\s*", "ICP备", t, flags=re.I)
    t = re.sub(r"(?<=ICP备)(\d+)\s+(?=号)", r"\1", t)
    t = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=ICP备)", "", t)
    return t.replace("－", "-")


def _icp(texts: Sequence[str]) -> FooterId | None:
    for text in texts:
        compact = _compact(text)
        found = find_icp(compact)
        if found is not None:
            return FooterId(found.text, found.text, None)
    for text in texts:
        m = _ICP_LOOSE_RE.search(_compact(text))
        if m is not None:
            raw = m.group("raw").strip()
            return FooterId(raw, None, check_icp(raw) or "ICP备案号格式不正确")
    return None


def _psb(texts: Sequence[str]) -> FooterId | None:
    for text in texts:
        found = find_psb(text)
        if found is not None:
            error = check_psb(found.text)
            return FooterId(found.text, None if error else _psb_canonical(found), error)
    for text in texts:
        m = _PSB_LOOSE_RE.search(normalise(text))
        if m is None:
            continue
        abbr, digits = m.group("abbr") or "", m.group("d")
        raw = m.group(0).strip()
        if abbr in PROVINCE_ABBREVIATIONS and len(digits) == 14:
            canonical = f"{abbr}公网安备 {digits}号"
            error = check_psb(canonical)
            return FooterId(raw, None if error else canonical, error)
        return FooterId(raw, None, check_psb(raw) or "公安备案号格式不正确")
    return None


def _psb_canonical(p: PsbNumber) -> str:
    return f"{p.abbreviation}公网安备 {p.number}号"


def _sponsor(texts: Sequence[str]) -> str | None:
    for text in texts:
        for m in _SPONSOR_RE.finditer(text):
            v = m.group("v").strip()
            stop = _SPONSOR_STOP_RE.search(v)
            if stop is not None:
                v = v[: stop.start()]
            v = v.strip(" :：、.·-—")
            if len(v) >= 2:
                return v
        m = _SPONSOR_BEFORE_RE.search(text)
        if m is not None:
            v = re.split(r"[|丨｜;；,，。：:]", m.group("v"))[-1].strip()
            if len(v) >= 4:
                return v
    return None


def _contact(texts: Sequence[str]) -> Contact:
    phone = email = address = None
    for text in texts:
        if phone is None and (m := _PHONE_RE.search(text)):
            phone = m.group("v")
        if email is None and (m := _EMAIL_RE.search(text)):
            email = m.group(0)
        if address is None and (m := _ADDRESS_RE.search(text)):
            address = m.group("v")
    return Contact(phone, email, address)


def read_footer(
    footer_text: str,
    found_by: str,
    page_text: str,
    all_text: str,
    links: Sequence[object],
    markers: Sequence[tuple[str, str]] = (),
    *,
    host: str = "",
) -> Footer:
    """Footer facts from the footer block's text, the page's visible text, the text including hidden parts, the
    page's links (objects with ``url``, ``kind``, ``text``, ``hidden``) and extra (attribute, value) markers such
    as img alt/title and script ids."""
    texts = [t for t in (footer_text, page_text) if t]
    id_texts = [*texts, all_text] if all_text else texts

    conac, conac_ev = False, None
    jiucuo, jiucuo_ev, jiucuo_other = False, None, None
    ads: list[AdCandidate] = []
    for link in links:
        url = getattr(link, "url", "") or ""
        text = getattr(link, "text", "") or ""
        if not conac and _CONAC_URL_RE.search(url):
            conac, conac_ev = True, url
        if not jiucuo and (_JIUCUO_URL_RE.search(url) or _JIUCUO_TEXT in text):
            jiucuo, jiucuo_ev = True, url
        if jiucuo_other is None and getattr(link, "kind", "") == "a" and "纠错" in text:
            jiucuo_other = f"{text} {url}".strip()
        if getattr(link, "kind", "") == "a" and not getattr(link, "hidden", False):
            target = re.sub(r"^[a-z]+://([^/:?#]+).*$", r"\1", url, flags=re.I).lower()
            if _AD_HOST_RE.search(target):
                ads.append(AdCandidate(text, url, "shopping/gambling domain"))
            elif (
                text
                and target != host.lower()
                and not _GOV_HOST_RE.search(target)
                and (m := _AD_TEXT_RE.search(text))
            ):
                ads.append(AdCandidate(text, url, f"text: {m.group(0)}"))
    for attr, value in markers:
        if not conac and ("党政机关" in value or value in ("_ideConac", "imgConac")):
            conac, conac_ev = True, f"{attr}={value}"
        if not jiucuo and (_JIUCUO_TEXT in value or value == "_jiucuo_"):
            jiucuo, jiucuo_ev = True, f"{attr}={value}"
    if not conac and "党政机关网站" in footer_text:
        conac, conac_ev = True, "党政机关网站"
    if not jiucuo:
        for t in texts:
            if _JIUCUO_TEXT in t:
                jiucuo, jiucuo_ev = True, _JIUCUO_TEXT
                break
    return Footer(
        text=footer_text,
        found_by=found_by,
        site_code=_site_code(id_texts),
        icp=_icp(id_texts),
        psb=_psb(id_texts),
        conac=conac,
        conac_evidence=conac_ev,
        sponsor=_sponsor([t for t in (footer_text, page_text[-FOOTER_TAIL_CHARS:]) if t]),
        contact=_contact(texts),
        jiucuo=jiucuo,
        jiucuo_evidence=jiucuo_ev,
        jiucuo_other=None if jiucuo else jiucuo_other,
        ads=tuple(ads),
    )
