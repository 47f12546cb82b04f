"""Dates on Chinese government web pages: parse, find in text, read next to a label, from URLs and meta tags.

Pure functions: no network, no I/O. Every function takes text and returns :class:`datetime.date` values (a
:class:`DateMatch` also carries the span, the matched text and, where the page showed one, the time of day).

Formats recognised (after folding full-width digits and punctuation to ASCII):

* ``2020-03-25``, ``2020-3-5``, ``2020/03/25``, ``2020.03.25`` (one separator used twice)
* ``2020年3月25日``, ``2020年03月25日``, ``2020 年 3 月 25 日``, ``2020年3月25号``
* ``二〇二〇年三月二十五日`` (Chinese numerals, as in the 落款 of official documents; ``○``/``零`` for zero)
* ``20200325`` — only 8 digits standing alone, forming a valid date in 1990–2100
* yearless ``03-25``, ``03/25``, ``3月25日`` — only with a ``reference`` date (the latest such day not after
  ``reference`` + 1 day; list pages show this year's month-day)
* any of the above followed by a time: ``10:21``, ``10:21:33``, ``T10:30:00+08:00``, ``-23:59:59``, ``10时21分``

Rejected on purpose: invalid days (``2020-02-30``), years outside 1900–2100 (1990–2100 for 8 digits), 文号
(``〔2020〕3号``), phone numbers, ID numbers, 8 digits inside longer digit runs, version strings (``v2020.3.1``,
``1.2020.3.4``), prices and decimals, times alone, ranges such as ``1-10月``, day-first or two-digit-year forms,
and dates inside URLs (``/art/2020/3/25/``) — :func:`url_date` reads those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = [
    "DateMatch",
    "find_dates",
    "labelled_date",
    "meta_pubdate",
    "parse_date",
    "parse_moment",
    "url_date",
]


@dataclass(frozen=True, slots=True)
class DateMatch:
    """One date found in a text: ``text == source[start:end]`` (the time of day, if shown, is part of it)."""

    date: date
    start: int
    end: int
    text: str
    has_year: bool
    moment: datetime | None = None  # the date with its time of day, when the text shows one
    label: str | None = (
        None  # set by labelled_date: the label the date stood next to ("发布时间", "来源", "[]"…)
    )


# ---------------------------------------------------------------------------------------------------------------
# Normalisation: a 1:1 character mapping, so spans in the folded text are spans in the original.

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # ０-９
        "－": "-",
        "—": "-",  # an em dash between numbers is usually a hyphen typed by an IME
        "–": "-",
        "／": "/",
        "．": ".",
        "：": ":",
        "［": "[",
        "］": "]",
        "（": "(",
        "）": ")",
        "\u3000": " ",
        "\xa0": " ",
        "Ｔ": "T",
    }
)

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGIT.update({"六": 6, "七": 7, "八": 8, "九": 9})

# ---------------------------------------------------------------------------------------------------------------
# Patterns. Each alternative has its own group names; guards keep dates out of longer numbers, paths and versions.

_CJK = r"\u4e00-\u9fff"
_YEAR = r"(?:19\d{2}|20\d{2}|2100)"
# After a numeric date: no digit, no letter (except T before a time), no separator+digit (a fourth component) —
# except "-23:59" (gov.cn's "2007-08-20-23:59:59") and the start of another date ("2020.03.25-2020.03.27").
_NUM_GUARD = r"(?![0-9A-SU-Za-z_]|[.\-/]\d(?!\d?:|\d{3}[.\-/年]))"

_DATE_RE = re.compile(
    rf"""
    (?=[0-9〇○零Ｏ一二三四五六七八九])  # cheap first-character filter: most positions fail here
    (?:
    (?<![0-9])(?P<y_cn>{_YEAR})\s*年\s*(?P<m_cn>\d{{1,2}})\s*月\s*(?P<d_cn>\d{{1,2}})
        (?:\s*[日号]|(?![\d{_CJK}]))
  | (?<![0-9A-Za-z_./\\])(?P<y_sep>{_YEAR})(?P<sep>[-/.])(?P<m_sep>\d{{1,2}})(?P=sep)(?P<d_sep>\d{{1,2}}){_NUM_GUARD}
  | (?<![0-9A-Za-z_./\\\-#=])(?P<y_8>199\d|20\d{{2}}|2100)(?P<m_8>0[1-9]|1[0-2])(?P<d_8>0[1-9]|[12]\d|3[01])
        (?![0-9A-Za-z_]|[.\-/]\d|号)
  | (?<![〇○零一二三四五六七八九十])(?P<y_hz>[〇○零Ｏ一二三四五六七八九]{{4}})\s*年\s*
        (?P<m_hz>十[一二]?|[一二三四五六七八九])\s*月\s*
        (?P<d_hz>[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号]
  | (?<![0-9年./\-])(?P<m_md>1[0-2]|0?[1-9])\s*月\s*(?P<d_md>3[01]|[12]\d|0?[1-9])\s*[日号]
  | (?<![0-9A-Za-z_./\\\-第])(?<!\d:)(?P<m_dd>0[1-9]|1[0-2])(?P<sep2>[-/])(?P<d_dd>0[1-9]|[12]\d|3[01])
        (?![0-9A-Za-z_./\\\-:%℃°]|[月日号年天人个万元亿家项次条期届版章节岁名页分秒时点度])
    )
    """,
    re.VERBOSE,
)

_TIME_RE = re.compile(
    r"""
    (?:\s*|T|-)(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d)(?:\.\d{1,6})?)?
        (?P<tz>\s*(?:Z|[+-](?:0\d|1[0-4]):?[0-5]\d))?(?![0-9])
  | \s*(?P<h_cn>[01]?\d|2[0-3])\s*[时點点](?:\s*(?P<mi_cn>[0-5]?\d)\s*分(?:\s*(?P<s_cn>[0-5]?\d)\s*秒)?)?
    """,
    re.VERBOSE,
)

_URL_IN_TEXT_RE = re.compile(
    r"(?:https?|ftp)://[^\s\"'<>，。；]+|www\.[A-Za-z0-9\-]+\.[^\s\"'<>，。；]+", re.I
)
# An 8-digit run right after one of these words is a number, not a date (编号 20200325, 电话 …).
_NUMBER_CONTEXT_RE = re.compile(r"(?:号|码|编|电话|传真|手机|账|帐|No\.?|ID|#)\s*[:]?\s*$", re.I)
_VERSION_CONTEXT_RE = re.compile(r"(?:版本|版本号|version|ver\.?|v)\s*[:]?\s*$", re.I)


def _cn_number(s: str) -> int:
    """一…三十一 → int."""
    if "十" not in s:
        return _CN_DIGIT[s]
    tens, _, units = s.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def _valid(y: int, m: int, d: int) -> date | None:
    if not 1900 <= y <= 2100:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _resolve_yearless(m: int, d: int, reference: date) -> date | None:
    """The latest date with this month-day that is not after ``reference`` + 1 day."""
    limit = reference + timedelta(days=1)
    for year in range(limit.year, limit.year - 9, -1):  # Feb 29 may need a few years back
        try:
            candidate = date(year, m, d)
        except ValueError:
            continue
        if candidate <= limit:
            return candidate
    return None


def _ymd(m: re.Match[str], reference: date | None) -> tuple[date | None, bool]:
    """(date, has_year) from a _DATE_RE match; date is None when invalid or yearless without a reference."""
    g = m.group
    if g("y_cn"):
        return _valid(int(g("y_cn")), int(g("m_cn")), int(g("d_cn"))), True
    if g("y_sep"):
        return _valid(int(g("y_sep")), int(g("m_sep")), int(g("d_sep"))), True
    if g("y_8"):
        return _valid(int(g("y_8")), int(g("m_8")), int(g("d_8"))), True
    if g("y_hz"):
        y = int("".join(str(_CN_DIGIT[c]) for c in g("y_hz")))
        return _valid(y, _cn_number(g("m_hz")), _cn_number(g("d_hz"))), True
    if g("m_md"):
        mo, da = int(g("m_md")), int(g("d_md"))
    else:
        mo, da = int(g("m_dd")), int(g("d_dd"))
    if reference is None:
        return None, False
    return _resolve_yearless(mo, da, reference), False


def _time_at(folded: str, pos: int) -> tuple[int, int, int, str | None, int] | None:
    """(hour, minute, second, tz text, end) of a time of day starting at ``pos``, or None."""
    t = _TIME_RE.match(folded, pos)
    if t is None:
        return None
    if t.group("h") is not None:
        return int(t.group("h")), int(t.group("mi")), int(t.group("s") or 0), t.group("tz"), t.end()
    if t.group("h_cn") is not None:
        return int(t.group("h_cn")), int(t.group("mi_cn") or 0), int(t.group("s_cn") or 0), None, t.end()
    return None


def _tzinfo(tz: str | None) -> timezone | None:
    if not tz:
        return None
    tz = tz.strip()
    if tz == "Z":
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _make_match(
    source: str, folded: str, m: re.Match[str], reference: date | None, with_time: bool = True
) -> DateMatch | None:
    d, has_year = _ymd(m, reference)
    if d is None:
        return None
    end, moment = m.end(), None
    if with_time:
        t = _time_at(folded, end)
        if t is not None:
            h, mi, s, tz, end = t
            moment = datetime(d.year, d.month, d.day, h, mi, s, tzinfo=_tzinfo(tz))
    start = m.start()
    return DateMatch(d, start, end, source[start:end], has_year, moment)


def _plausible_in_context(folded: str, m: re.Match[str]) -> bool:
    """Context checks a regex cannot express: numbers that merely look like dates."""
    start = m.start()
    before = folded[max(0, start - 8) : start]
    if m.group("y_8") and _NUMBER_CONTEXT_RE.search(before):
        return False
    return not (m.group("sep") == "." and _VERSION_CONTEXT_RE.search(before))


# ---------------------------------------------------------------------------------------------------------------
# Public API


def find_dates(text: str, *, reference: date | None = None) -> list[DateMatch]:
    """Every date in ``text``, in order. Yearless dates (``03-25``, ``3月25日``) only when ``reference`` is given."""
    if not text:
        return []
    folded = text.translate(_FOLD)
    masked: list[tuple[int, int]] = []
    if "://" in folded or "www." in folded:
        masked = [u.span() for u in _URL_IN_TEXT_RE.finditer(folded)]
    out: list[DateMatch] = []
    mi = 0
    for m in _DATE_RE.finditer(folded):
        start = m.start()
        if masked:
            while mi < len(masked) and masked[mi][1] <= start:
                mi += 1
            if mi < len(masked) and masked[mi][0] <= start:
                continue
        if not _plausible_in_context(folded, m):
            continue
        # "-2020-03-27" only as the second half of a range "2020.03.25-2020.03.27", not after "0793-"
        if m.group("y_sep") and start and folded[start - 1] == "-" and not (out and out[-1].end == start - 1):
            continue
        dm = _make_match(text, folded, m, reference)
        if dm is not None:
            out.append(dm)
    return out


_BRACKETS = "[](){}【】<>《》「」 \t\r\n"


def parse_date(text: str, *, reference: date | None = None) -> date | None:
    """The date in a string that holds one date and nothing else (brackets and a trailing time allowed).

    Returns None for anything else, for invalid dates, and for a yearless date without ``reference``.
    """
    m = parse_moment(text, reference=reference)
    return m.date if m is not None else None


def parse_moment(text: str, *, reference: date | None = None) -> DateMatch | None:
    """Like :func:`parse_date`, but the whole :class:`DateMatch` (with ``moment`` when a time is shown)."""
    if not text:
        return None
    folded = text.translate(_FOLD)
    lo, hi = 0, len(folded)
    while lo < hi and folded[lo] in _BRACKETS:
        lo += 1
    while hi > lo and folded[hi - 1] in _BRACKETS:
        hi -= 1
    if lo >= hi:
        return None
    m = _DATE_RE.match(folded, lo, hi)
    if m is None:
        return None
    dm = _make_match(text, folded, m, reference)
    if dm is None or dm.end != hi:
        return None
    return dm


# Labels, by preference tier (lower wins). Bare 日期/时间 only when not the tail of another word (会议时间, 北京时间).
_LABEL_RE = re.compile(
    rf"""
    (?=[信发公上刊登成印签最更修日时录PpRrDd])  # first-character filter
    (?:
    (?P<pub>(?:信息)?(?:发布|发表|发稿|公开|公布|上网|刊发|刊登|登载|发帖|发贴)(?:日期|时间|于)
        |(?i:publish(?:ed)?\s*(?:date|time|on)?|release\s*date))
  | (?P<gen>(?<![{_CJK}A-Za-z])(?:日期|时间)|(?:录入|信息)(?:日期|时间)|(?<![A-Za-z])(?i:date)(?=\s*:))
  | (?P<doc>(?:成文|发文|印发|签发|签署)(?:日期|时间))
  | (?P<upd>(?:最后)?(?:更新|修改)(?:日期|时间|于)?)
    )
    """,
    re.VERBOSE,
)
_LABEL_GAP_RE = re.compile(r"(?:\s*(?:为|是))?\s*:?\s*[\[【(「]?\s*")
_AFTER_DATE_META_RE = re.compile(
    r"\s*(?:[|丨｜/]\s*)?(?:信息|文章|稿件)?(?:来源|稿源|作者|编辑|责任编辑|浏览次数|点击数|阅读数|访问量|点击率)\s*:"
)
_SOURCE_LABEL_RE = re.compile(r"(?:信息|文章|稿件)?(?:来源|稿源)\s*:")
_SOURCE_TO_DATE_RE = re.compile(r"[^\d:]{0,30}?(?=[0-9〇○零一二三四五六七八九])")
_OPEN_BRACKET_RE = re.compile(r"[\[【]\s*$")
_CLOSE_BRACKET_RE = re.compile(r"\s*[\]】]")

_TIER_PUB, _TIER_GEN, _TIER_BRACKET, _TIER_DOC, _TIER_UPD, _TIER_SOURCE = range(6)


def labelled_date(text: str, *, reference: date | None = None) -> DateMatch | None:
    """The publication date a page displays next to a label, or None when no date stands next to a label.

    Preference: 发布/发表/公开… 时间/日期 › a bare 日期:/时间:, or a date right before 来源:/作者:/浏览次数:
    (people.cn style) › a date alone in brackets ``[ 2020-03-25 ]`` › 成文/发文/印发 日期 › 更新/修改 时间 › a date
    shortly after 来源: (``来源：某某局 2020-03-25``). Within a tier the first in the text wins. The returned
    match's ``label`` says which label was used.
    """
    matches = find_dates(text, reference=reference)
    if not matches:
        return None
    folded = text.translate(_FOLD)
    by_start = {dm.start: dm for dm in matches}
    best: tuple[int, int, DateMatch] | None = None

    def offer(tier: int, dm: DateMatch, label: str) -> None:
        nonlocal best
        if best is None or (tier, dm.start) < best[:2]:
            best = (
                tier,
                dm.start,
                DateMatch(dm.date, dm.start, dm.end, dm.text, dm.has_year, dm.moment, label),
            )

    for lm in _LABEL_RE.finditer(folded):
        gap = _LABEL_GAP_RE.match(folded, lm.end())
        pos = gap.end() if gap else lm.end()
        dm = by_start.get(pos)
        if dm is None:
            continue
        kind = lm.lastgroup
        tier = {"pub": _TIER_PUB, "gen": _TIER_GEN, "doc": _TIER_DOC, "upd": _TIER_UPD}[kind or "gen"]
        offer(tier, dm, text[lm.start() : lm.end()])

    for dm in matches:
        after = _AFTER_DATE_META_RE.match(folded, dm.end)
        if after is not None:
            offer(_TIER_GEN, dm, after.group().strip(" :|丨｜/"))
        if _OPEN_BRACKET_RE.search(folded, max(0, dm.start - 4), dm.start) and _CLOSE_BRACKET_RE.match(
            folded, dm.end
        ):
            offer(_TIER_BRACKET, dm, "[]")

    if best is None or best[0] > _TIER_SOURCE - 1:
        for sm in _SOURCE_LABEL_RE.finditer(folded):
            gap = _SOURCE_TO_DATE_RE.match(folded, sm.end())
            if gap is None:
                continue
            dm = by_start.get(gap.end())
            if dm is not None and dm.has_year:
                offer(_TIER_SOURCE, dm, text[sm.start() : sm.end()])
                break
    return best[2] if best is not None else None


# ---------------------------------------------------------------------------------------------------------------
# URLs

_URL_PATTERNS: tuple[re.Pattern[str], ...] = (
    # TRS / 大汉: /art/2020/4/9/art_123_456.html
    re.compile(r"/art/(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    # TRS WCM: /t20200409_123456.html, /202004/t20200409_123.html, ./t20190918_693227.shtml
    re.compile(r"(?:^|[/_.])t(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})_\d+(?:_\d+)?\.\w+"),
    # gov.cn, xinhuanet: /2020-04/09/content_123.htm, /2020-04/09/c_123.htm
    re.compile(r"/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/(?:content|c)_\d+"),
    # WebPlus (博达) /2020/0409/c123a456/page.htm; people.cn /n1/2019/0615/c1013-31153719.html
    re.compile(r"/(?P<y>\d{4})/(?P<m>\d{2})(?P<d>\d{2})/c\d+[a-]\d+"),
    # /2020/04/09/ path segments (zero-padded month and day only)
    re.compile(r"/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"),
    # /20200409/abc.html, /2020-04-09/abc.html
    re.compile(r"/(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})/"),
    # ?date=2020-04-09
    re.compile(
        r"[?&](?:date|pubdate|publishdate|publish_date|pubtime|releasedate)=(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})(?![\d])",
        re.I,
    ),
)


def url_date(url: str) -> date | None:
    """The date a CMS encoded in an article URL, or None (also None when two patterns disagree)."""
    if not url:
        return None
    found: set[date] = set()
    for pattern in _URL_PATTERNS:
        for m in pattern.finditer(url):
            y = int(m.group("y"))
            if not 1990 <= y <= 2100:
                continue
            d = _valid(y, int(m.group("m")), int(m.group("d")))
            if d is not None:
                found.add(d)
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------------------------------------------------------
# Meta tags

_META_KEYS = (
    "pubdate",
    "publishdate",
    "article:published_time",
    "firstpublishedtime",
    "publishtime",
    "pubtime",
    "publish_date",
    "og:release_date",
    "dc.date.issued",
    "dcterms.issued",
)
_META_COMPACT_RE = re.compile(r"(?P<d>\d{8})(?:(?P<h>[01]\d|2[0-3])(?P<mi>[0-5]\d)(?P<s>[0-5]\d)?)?")


def meta_pubdate(meta: Mapping[str, str]) -> date | None:
    """The publication date from meta tags (``PubDate``, ``publishdate``, ``article:published_time``…), or None.

    Keys are matched case-insensitively; the first key in the order above with a readable value wins.
    """
    if not meta:
        return None
    lowered: dict[str, str] = {}
    for k, v in meta.items():
        if isinstance(k, str) and isinstance(v, str):
            lowered.setdefault(k.strip().lower(), v)
    for key in _META_KEYS:
        value = lowered.get(key)
        if value is None:
            continue
        value = value.strip()
        m = _META_COMPACT_RE.fullmatch(value)
        if m is not None:
            d = m.group("d")
            found = _valid(int(d[:4]), int(d[4:6]), int(d[6:]))
            if found is not None and found.year >= 1990:
                return found
            continue
        found = parse_date(value)
        if found is not None:
            return found
    return None
