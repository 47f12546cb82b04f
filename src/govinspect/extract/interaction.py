"""Interaction facts (互动交流) from parsed pages: consultation channels, message boards, surveys.

Pure functions over :class:`~govinspect.extract.page.Page` objects; no network, no clock.

* **Channels**: short link texts (img alt included) naming an entrance — the profile's channel keywords (留言,
  咨询, 信箱…) — on the homepage, the 网站地图 and every other page read; links naming an excluded channel
  (信访, 纪检, 举报) are kept apart as evidence. A length bound and the article-URL rule keep news titles
  (…咨询会…) out; hidden links count, since drop-down menus stay hidden until hovered.
* **Message lists**: a row of header labels (标题/留言时间/答复时间/答复单位/状态 and their variants: 提问时间,
  回复时间, 办理状态, 受理单位…) in a table or in a list of rows (ul/div), and the rows under it; or list entries
  with one title link and labelled parts (``留言时间：…``).
* **Message details**: labelled rows (留言人, 留言时间, 留言内容, 办理状态, 答复单位, 答复时间, 答复内容…) as
  th/td pairs, ``label：value`` text, dt/dd or spans; a page showing several records is split where a label
  repeats. A form (a textarea or text input among the labels) is a place to write a message, not one.
* **Missing times**: a time counts as missing only where its place was there and stayed empty — an empty cell
  under a 留言时间 header, or a detail record with no date at all besides the reply's (resp. the submission's) —
  and only when no source of the same message shows it.
* **Surveys**: a 征求意见/意见征集/问卷/网上调查 page with a labelled period (征集时间：2020年1月2日至2020年2月1日,
  截止时间…, 请于…前); its result is a link on it or any page read whose text says 结果/采纳情况/情况反馈 and
  names the same survey (the 《…》 title, or a long common stretch of the title).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from lxml import etree

from govinspect.extract.columns import find_sitemap_link, is_article_url
from govinspect.extract.dates import find_dates
from govinspect.extract.html import Layout, inline_text, text_of
from govinspect.extract.model import Channel, Interaction, Message, Survey

__all__ = [
    "DetailRecord",
    "ListedMessage",
    "classify_status",
    "detail_records",
    "find_channels",
    "label_kind",
    "listed_messages",
    "read_interaction",
    "survey_of",
]

# ---------------------------------------------------------------------------------------------------------------
# Labels

_LABELS: dict[str, tuple[str, ...]] = {
    "title": (
        "标题", "留言标题", "信件标题", "来信标题", "咨询标题", "问题标题", "诉求标题", "主题", "留言主题",
        "信件主题", "咨询主题", "来信主题",
    ),
    "submitter": (
        "留言人", "来信人", "提问人", "咨询人", "写信人", "发信人", "投诉人", "反映人", "留言者", "来信者",
        "留言用户", "提问者", "网友", "网民",
    ),
    "submit": (
        "留言时间", "留言日期", "提问时间", "提问日期", "咨询时间", "咨询日期", "来信时间", "来信日期",
        "写信时间", "写信日期", "提交时间", "提交日期", "投诉时间", "投诉日期", "反映时间", "诉求时间",
        "发信时间", "信件时间", "求助时间", "建言时间", "建议时间", "来电时间",
    ),
    "question": (
        "留言内容", "来信内容", "咨询内容", "提问内容", "问题内容", "信件内容", "诉求内容", "投诉内容",
        "反映内容", "咨询问题", "问题描述", "留言正文", "来信正文", "建言内容", "建议内容", "求助内容",
    ),
    "status": (
        "状态", "办理状态", "处理状态", "回复状态", "答复状态", "办结状态", "当前状态", "信件状态", "留言状态",
        "是否回复", "是否答复", "是否办结",
    ),
    "unit": (
        "答复单位", "回复单位", "受理单位", "办理单位", "处理单位", "承办单位", "答复部门", "回复部门",
        "受理部门", "办理部门", "处理部门", "承办部门", "答复机构", "回复机构", "回复人", "答复人",
    ),
    "reply": (
        "答复时间", "答复日期", "回复时间", "回复日期", "办结时间", "办结日期", "反馈时间", "反馈日期",
        "回答时间", "处理时间", "处理日期",
    ),
    "answer": (
        "答复内容", "回复内容", "办理结果", "处理结果", "答复意见", "回复意见", "办理意见", "处理意见",
        "答复", "回复", "回复详情", "答复详情", "办理答复", "回复正文", "答复正文",
    ),
    # dates that are neither the submission nor the reply: recognised so they are not taken for values
    "other": ("受理时间", "受理日期", "转办时间", "交办时间", "公开时间", "发布时间", "发布日期", "编号",
              "信件编号", "留言编号", "受理编号", "查询码", "序号", "类型", "留言类型", "信件类型", "类别"),
}  # fmt: skip
_KIND_OF: dict[str, str] = {label: kind for kind, labels in _LABELS.items() for label in labels}
_MESSAGE_KINDS = frozenset({"title", "submitter", "submit", "question", "status", "unit", "reply", "answer"})
_TIME_KINDS = frozenset({"submit", "reply", "status"})

_SPACE_RE = re.compile(r"[\s\u3000\xa0]+")
_LABEL_TRIM = " \t\r\n\u3000\xa0:：【】[]"


def _despace(text: str) -> str:
    return _SPACE_RE.sub("", text or "")


def label_kind(text: str) -> str | None:
    """The kind of a label as printed (``留 言 时 间：`` → ``submit``), or None."""
    return _KIND_OF.get(_despace(text).strip(_LABEL_TRIM))


def _label_alternation() -> str:
    labels = sorted(_KIND_OF, key=len, reverse=True)
    return "|".join(r"[\s\u3000]*".join(map(re.escape, label)) for label in labels)


# A label at the start of a segment or after a separator, followed by a colon or by the segment's end.
_PAIR_RE = re.compile(
    rf"(?:^|(?<=[\s\u3000|｜,，;；。、)）\]】]))(?P<label>{_label_alternation()})[\s\u3000]*(?P<colon>[:：]|$)"
)

_STATUS_INVALID_RE = re.compile(
    r"不予受理|不受理|无效|重复(?:留言|信件|件)?$|已撤[回销]|撤销|退回|驳回|不予公开"
)
_STATUS_PENDING_RE = re.compile(
    r"未(?:回复|答复|办结|处理|受理|办理|反馈)|待(?:回复|答复|处理|办理|受理|审核|反馈)|"
    r"(?:办理|处理|受理|转办|交办|审核|答复|回复|核实|调查)中|正在|已(?:受理|转办|交办|签收|分办)$|^受理$"
)
_STATUS_ANSWERED_RE = re.compile(
    r"已(?:回复|答复|办结|处理|反馈|解决|完成|回|办理|办)|^(?:办结|完成|回复|答复|是)$"
)


def classify_status(status: str | None) -> str | None:
    """answered | pending | invalid for a printed status (办理中 → pending, 已回复 → answered), else None."""
    text = _despace(status or "")
    if not text:
        return None
    if _STATUS_INVALID_RE.search(text):
        return "invalid"
    if _STATUS_PENDING_RE.search(text) or text in ("否",):
        return "pending"
    if _STATUS_ANSWERED_RE.search(text):
        return "answered"
    return None


def _moment(value: str | None) -> datetime | None:
    """The first dated moment in a value (``2020-03-12 09:31:22`` → datetime); a date alone → midnight."""
    if not value:
        return None
    for dm in find_dates(value):
        if dm.has_year:
            if dm.moment is not None:
                return dm.moment.replace(tzinfo=None)
            return datetime(dm.date.year, dm.date.month, dm.date.day)
    return None


# ---------------------------------------------------------------------------------------------------------------
# Segments: the visible text of a region cut at block and cell boundaries, each piece with the element holding it.

_HARD_TAGS = frozenset(
    {
        "p", "div", "td", "th", "tr", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody",
        "thead", "tfoot", "ul", "ol", "dl", "section", "article", "header", "footer", "form", "blockquote",
        "pre", "center", "caption", "aside", "main", "nav", "fieldset", "legend", "body", "html",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "select", "option", "iframe"}
)


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    owner: etree._Element


def _segments(root: etree._Element, layout: Layout | None) -> list[_Segment]:
    out: list[_Segment] = []
    buf: list[str] = []
    owners: list[etree._Element] = [root]

    def flush() -> None:
        text = re.sub(r"[ \t\r\n\xa0]+", " ", "".join(buf)).strip()
        buf.clear()
        if text:
            out.append(_Segment(text, owners[-1]))

    # an explicit stack (enter/leave events): real pages nest deep enough to trouble recursion
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, leaving = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else None
        if leaving:
            if tag in _HARD_TAGS:
                flush()
                owners.pop()
            elif tag is not None:
                buf.append(" ")  # <span>2020-01-06</span><span>回复时间：…</span>: keep the parts apart
            if el is not root and el.tail:
                buf.append(el.tail)
            continue
        skip = tag is None or tag in _SKIP_TAGS
        if not skip and layout is not None and el is not root:
            skip = el in layout.hidden or el in layout.nav or el in layout.footer
        if skip:
            if el is not root and el.tail:
                buf.append(el.tail)
            continue
        if tag == "br":
            flush()
        elif tag in _HARD_TAGS:
            flush()
            owners.append(el)
        else:
            buf.append(" ")
        if el.text:
            buf.append(el.text)
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    flush()
    return out


@dataclass(frozen=True, slots=True)
class _Pair:
    kind: str
    label: str
    value: str
    label_el: etree._Element
    value_el: etree._Element


def _pairs(segments: Sequence[_Segment]) -> list[_Pair]:
    """``label：value`` pairs: the value after the label in its segment, else the next segment (a th/td pair)."""
    pairs: list[_Pair] = []
    for i, seg in enumerate(segments):
        matches = list(_PAIR_RE.finditer(seg.text))
        for j, m in enumerate(matches):
            label = m.group("label")
            kind = _KIND_OF[_despace(label)]
            end = matches[j + 1].start() if j + 1 < len(matches) else len(seg.text)
            if m.group("colon") == "" and m.start() != 0:
                continue  # a label word ending a sentence, not a label standing alone
            value, value_el = seg.text[m.end() : end].strip(), seg.owner
            if not value and j + 1 == len(matches) and i + 1 < len(segments):
                nxt = segments[i + 1]
                if not _PAIR_RE.match(nxt.text):
                    value, value_el = nxt.text, nxt.owner
            pairs.append(_Pair(kind, label, value, seg.owner, value_el))
    return pairs


def _common_ancestor(elements: Sequence[etree._Element]) -> etree._Element | None:
    if not elements:
        return None
    chains = []
    for el in elements:
        chain = []
        node: etree._Element | None = el
        while node is not None:
            chain.append(node)
            node = node.getparent()
        chains.append(chain[::-1])
    common = None
    for level in zip(*chains, strict=False):
        if all(node is level[0] for node in level):
            common = level[0]
        else:
            break
    return common


# ---------------------------------------------------------------------------------------------------------------
# Message details


@dataclass(frozen=True, slots=True)
class DetailRecord:
    """One message as a detail page shows it (labelled rows)."""

    title: str | None
    submitter: str | None
    submitted: datetime | None
    question: str | None
    status: str | None
    unit: str | None
    replied: datetime | None
    answer: str | None
    missing: tuple[str, ...]  # submit_time / reply_time: no date at all in the record for it
    index: int = 0


def _has_form_inputs(el: etree._Element) -> bool:
    for node in el.iter("textarea", "input"):
        kind = (node.get("type") or "text").lower()
        if node.tag == "textarea" or kind in ("text", "tel", "email", ""):
            return True
    return False


def _row_of(el: etree._Element) -> etree._Element:
    parent = el.getparent()
    return parent if parent is not None else el


def _record(pairs: Sequence[_Pair], layout: Layout | None, index: int) -> DetailRecord | None:
    by: dict[str, _Pair] = {}
    for p in pairs:
        by.setdefault(p.kind, p)
    kinds = set(by) & _MESSAGE_KINDS
    question = by.get("question")
    looks = (question is not None and question.value and len(kinds) >= 2) or (
        {"submitter", "submit"} <= kinds and kinds & {"status", "answer", "reply", "unit"}
    )
    if not looks:
        return None
    label_elements = [p.label_el for p in pairs if p.kind in _MESSAGE_KINDS]
    container = _common_ancestor(label_elements)
    if container is None or any(True for _ in container.iter("textarea")):
        return None
    if any(_has_form_inputs(p.value_el) or _has_form_inputs(_row_of(p.label_el)) for p in pairs):
        return None  # a form to write a message in

    def value(kind: str) -> str | None:
        p = by.get(kind)
        return p.value[:2000] if p is not None and p.value else None

    submitted, replied = _moment(value("submit")), _moment(value("reply"))
    status, answer, unit = value("status"), value("answer"), value("unit")
    state = classify_status(status)
    answered = state == "answered" or (state is None and (answer is not None or replied is not None))
    missing: list[str] = []
    if submitted is None or (answered and replied is None):
        text = text_of(container, layout)
        days = {dm.date for dm in find_dates(text) if dm.has_year}
        if submitted is None and not (days - ({replied.date()} if replied else set())):
            missing.append("submit_time")
        if answered and replied is None and not (days - ({submitted.date()} if submitted else set())):
            missing.append("reply_time")
    return DetailRecord(
        title=value("title"),
        submitter=value("submitter"),
        submitted=submitted,
        question=value("question"),
        status=status,
        unit=unit,
        replied=replied,
        answer=answer,
        missing=tuple(missing),
        index=index,
    )


_DETAIL_HINT_RE = re.compile(
    "|".join(sorted(_LABELS["question"] + _LABELS["submitter"], key=len, reverse=True))
)


def detail_records(page) -> list[DetailRecord]:
    """The message records a detail page shows (usually one; boards that print whole records in a list show
    several)."""
    tree = getattr(page, "tree", None)
    if tree is None:
        tree = page
    body = getattr(page, "body_text", None)
    if body is not None and not _DETAIL_HINT_RE.search(_despace(body)):
        return []
    layout = getattr(page, "layout", None) or Layout(tree)
    body_el = tree.find(".//body")
    pairs = _pairs(_segments(body_el if body_el is not None else tree, layout))
    groups: list[list[_Pair]] = []
    seen: set[str] = set()
    for p in pairs:
        if p.kind not in _MESSAGE_KINDS:
            if groups:
                groups[-1].append(p)
            continue
        if not groups or p.kind in seen:
            groups.append([])
            seen = set()
        seen.add(p.kind)
        groups[-1].append(p)
    records = []
    for group in groups:
        rec = _record(group, layout, len(records))
        if rec is not None:
            records.append(rec)
    return records


# ---------------------------------------------------------------------------------------------------------------
# Message lists


@dataclass(frozen=True, slots=True)
class ListedMessage:
    """One row of a message list."""

    title: str
    url: str | None  # the detail page the row links to
    submitted: datetime | None
    replied: datetime | None
    unit: str | None
    status: str | None
    missing: tuple[str, ...] = ()  # an empty cell under a 留言时间 / 答复时间 header (reply: when answered)


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if isinstance(c.tag, str) and c.tag not in _SKIP_TAGS]


def _expanded(cells: Sequence[etree._Element]) -> list[etree._Element]:
    out = []
    for c in cells:
        try:
            span = max(1, min(int(c.get("colspan") or 1), 20))
        except ValueError:
            span = 1
        out.extend([c] * span)
    return out


def _header_kinds(cells: Sequence[etree._Element]) -> dict[int, str] | None:
    kinds: dict[int, str] = {}
    for i, c in enumerate(_expanded(cells)):
        text = _despace(inline_text(c)).strip(_LABEL_TRIM)
        kind = _KIND_OF.get(text) if len(text) <= 8 else None
        if kind in _MESSAGE_KINDS and kind not in kinds.values():
            kinds[i] = kind
    found = set(kinds.values())
    # a time or a status, and what names a message (办件公示 tables: 事项名称/受理时间/办结时间/状态, are not)
    if found & _TIME_KINDS and found & {"title", "submitter", "submit", "question"} and len(found) >= 2:
        return kinds
    return None


def _resolver(page):
    from govinspect.extract.page import _resolve

    base = getattr(page, "base_url", None) or getattr(page, "url", "")
    return lambda href: _resolve(base, href)


def _row_link(cell: etree._Element | None, row: etree._Element, resolve) -> tuple[str | None, str]:
    for where in (cell, row):
        if where is None:
            continue
        for a in where.iter("a"):
            href = (a.get("href") or "").strip()
            url = resolve(href) if href else None
            text = inline_text(a)
            title = (a.get("title") or "").strip()
            if title and len(title) >= len(text):
                text = title
            if url or len(text) >= 4:
                return url, text
    return None, inline_text(cell) if cell is not None else ""


def _table_rows(header: etree._Element) -> list[etree._Element]:
    """The data rows under a header row: its following siblings, or the rows of the table's bodies."""
    parent = header.getparent()
    if parent is None:
        return []
    rows = [r for r in header.itersiblings() if r.tag == header.tag]
    if header.tag == "tr" and parent.tag == "thead":
        table = parent.getparent()
        if table is not None:
            rows += [r for body in table.findall("tbody") for r in body.findall("tr")]
    return rows


def _header_rows(tree: etree._Element, layout: Layout) -> list[tuple[etree._Element, dict[int, str]]]:
    found: list[tuple[etree._Element, dict[int, str]]] = []
    seen: set[etree._Element] = set()
    for el in tree.iter():
        if not isinstance(el.tag, str) or not el.text:
            continue
        text = _despace(el.text).strip(_LABEL_TRIM)
        if _KIND_OF.get(text) not in _TIME_KINDS:
            continue
        if el in layout.hidden or el in layout.nav or el in layout.footer:
            continue
        row = el.getparent()
        for _ in range(3):
            if row is None or row in seen:
                break
            if len(_cells(row)) >= 2:
                kinds = _header_kinds(_cells(row))
                if kinds is not None:
                    seen.add(row)
                    found.append((row, kinds))
                    break
            row = row.getparent()
    return found


def _empty_date(cell: etree._Element | None) -> bool | None:
    """True when a cell shows no date, False when it shows one, None without a cell."""
    if cell is None:
        return None
    return _moment(inline_text(cell)) is None


def listed_messages(page) -> list[ListedMessage]:
    """The rows of the message lists on a page (header-labelled tables or lists, and labelled entries)."""
    tree = getattr(page, "tree", None)
    if tree is None:
        return []
    body = _despace(getattr(page, "body_text", "") or "")
    if not any(label in body for label in _LABELS["submit"] + _LABELS["reply"] + _LABELS["status"]):
        return []
    layout = getattr(page, "layout", None) or Layout(tree)
    resolve = _resolver(page)
    out: list[ListedMessage] = []
    claimed: set[etree._Element] = set()
    for header, kinds in _header_rows(tree, layout):
        by_kind = {kind: i for i, kind in kinds.items()}
        for row in _table_rows(header):
            if row in layout.hidden:
                continue
            own = _cells(row)
            if len(own) < 2 or _header_kinds(own) is not None:
                continue  # a pagination row spanning the table, a repeated header
            cells = _expanded(own)

            def cell(kind: str, cells=cells, by_kind=by_kind) -> etree._Element | None:
                i = by_kind.get(kind)
                return cells[i] if i is not None and i < len(cells) else None

            title_cell = cell("title")
            url, title = _row_link(title_cell, row, resolve)
            status_cell, unit_cell = cell("status"), cell("unit")
            status = inline_text(status_cell) if status_cell is not None else None
            submitted = _moment(inline_text(c)) if (c := cell("submit")) is not None else None
            replied = _moment(inline_text(c)) if (c := cell("reply")) is not None else None
            if len(title) < 4 and submitted is None and replied is None:
                continue
            missing = []
            if _empty_date(cell("submit")):
                missing.append("submit_time")
            if _empty_date(cell("reply")) and classify_status(status) == "answered":
                missing.append("reply_time")
            claimed.add(row)
            out.append(
                ListedMessage(
                    title=title[:200],
                    url=url,
                    submitted=submitted,
                    replied=replied,
                    unit=(inline_text(unit_cell) or None) if unit_cell is not None else None,
                    status=status or None,
                    missing=tuple(missing),
                )
            )
    out.extend(_labelled_entries(tree, layout, resolve, claimed))
    return out


_ENTRY_TAGS = frozenset({"li", "tr", "dd", "div", "p", "article", "section"})


def _labelled_entries(tree, layout: Layout, resolve, claimed: set) -> list[ListedMessage]:
    """List entries with one title link and labelled parts: ``<li><a>标题</a><span>留言时间：…</span>…</li>``."""
    entries: dict[etree._Element, None] = {}
    for el in tree.iter():
        if not isinstance(el.tag, str) or not el.text:
            continue
        m = _PAIR_RE.match(el.text.strip())
        if m is None or m.group("colon") == "" or _KIND_OF[_despace(m.group("label"))] not in _TIME_KINDS:
            continue
        if el in layout.hidden or el in layout.nav or el in layout.footer:
            continue
        node = el
        for _ in range(4):
            node = node.getparent()
            if node is None:
                break
            if node.tag in _ENTRY_TAGS:
                links = [a for a in node.iter("a") if len(inline_text(a)) >= 4]
                if len(links) == 1:
                    if node not in claimed and not any(anc in claimed for anc in node.iterancestors()):
                        entries[node] = None
                    break
                if len(links) > 1:
                    break
    siblings: dict[tuple[object, str], int] = {}
    for entry in entries:
        key = (entry.getparent(), entry.tag)
        siblings[key] = siblings.get(key, 0) + 1
    out = []
    for entry in entries:
        if any(other in entries for other in entry.iterancestors()):
            continue
        if siblings[(entry.getparent(), entry.tag)] < 2:
            continue  # one labelled block is a detail page's, not a list's
        pairs = _pairs(_segments(entry, layout))
        by: dict[str, _Pair] = {}
        for p in pairs:
            by.setdefault(p.kind, p)
        if not (set(by) & {"submit", "reply", "status"}):
            continue
        link = next(a for a in entry.iter("a") if len(inline_text(a)) >= 4)
        url = resolve((link.get("href") or "").strip())
        status = by["status"].value if "status" in by else None
        missing = []
        if "submit" in by and _moment(by["submit"].value) is None:
            missing.append("submit_time")
        if "reply" in by and _moment(by["reply"].value) is None and classify_status(status) == "answered":
            missing.append("reply_time")
        out.append(
            ListedMessage(
                title=((link.get("title") or "").strip() or inline_text(link))[:200],
                url=url,
                submitted=_moment(by["submit"].value) if "submit" in by else None,
                replied=_moment(by["reply"].value) if "reply" in by else None,
                unit=(by["unit"].value or None) if "unit" in by else None,
                status=status or None,
                missing=tuple(missing),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Channels


def find_channels(
    pages: Iterable[tuple[object, str]],
    keywords: Sequence[str],
    excluded: Sequence[str],
    *,
    max_len: int = 16,
) -> tuple[list[Channel], list[Channel]]:
    """(channels, excluded channels) named by short link texts on ``pages`` — (page, where) pairs, the
    homepage first; links to article pages are titles, not entrances. A name holding an excluded keyword
    (网上信访, 纪检监察举报) is excluded whatever else it says."""
    found: dict[tuple[str, str], Channel] = {}
    out_excluded: dict[tuple[str, str], Channel] = {}
    wanted = tuple(str(k) for k in keywords if k)  # a YAML list may hold numbers (12345)
    unwanted = tuple(str(k) for k in excluded if k)
    for page, where in pages:
        for link in getattr(page, "links", ()):
            if link.kind not in ("a", "area"):
                continue  # hidden links count: drop-down menus are hidden until hovered
            name = _despace(link.text)
            if not 2 <= len(name) <= max_len:
                continue
            if any(k in name for k in unwanted):
                if not is_article_url(link.url):
                    out_excluded.setdefault((name, link.url), Channel(name, link.url, page.url, where))
            elif any(k in name for k in wanted) and not is_article_url(link.url):
                found.setdefault((name, link.url), Channel(name, link.url, page.url, where))
    return list(found.values()), list(out_excluded.values())


# ---------------------------------------------------------------------------------------------------------------
# Surveys

_SURVEY_TITLE_RE = re.compile(
    r"征求.{0,8}意见|意见.{0,4}征集|征集.{0,10}(?:意见|建议|方案|金点子)|建言献策|问卷|(?:网上|在线|民意|网络|满意度)调查"
)
_RESULT_RE = re.compile(
    r"结果|采纳情况|采纳的?情况|情况的?反馈|反馈情况|意见.{0,4}(?:处理|吸纳)情况|情况说明|汇总"
)
_PERIOD_LABEL_RE = re.compile(
    r"(?:征求意见|意见征集|征集|调查|问卷|投票|反馈意见|意见反馈|公开征求意见|征询)(?:的)?(?:时间|期限|日期|期|时限)"
    r"|(?:征集|调查|反馈)?(?:截止|截至)(?:时间|日期)?"
)
_BEFORE_RE = re.compile(r"(?:请于|于|在)\s*(?P<date>[^，。；,;]{6,20}?)\s*(?:前|之前|以前)")
_YEARLESS_RE = re.compile(r"(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号]")
_RANGE_SEP_RE = re.compile(r"\s*(?:至|到|~|～|—|－|-|起至|起到)\s*")


def _period(text: str) -> tuple[date | None, date | None, str] | None:
    """(start, end, text) of a survey's period, or None when the page states none."""
    folded = text.replace("\u3000", " ")
    for m in _PERIOD_LABEL_RE.finditer(folded):
        window = folded[m.end() : m.end() + 80]
        dates = [dm for dm in find_dates(window) if dm.has_year]
        if not dates:
            continue
        first = dates[0]
        if first.start > 12:
            continue
        start: date | None = first.date
        end: date | None = None
        rest = window[first.end :]
        sep = _RANGE_SEP_RE.match(rest)
        if sep is not None:
            after = rest[sep.end() :]
            if len(dates) > 1 and dates[1].start == first.end + sep.end():
                end = dates[1].date
            elif (y := _YEARLESS_RE.match(after)) is not None:
                try:
                    end = date(first.date.year, int(y.group("m")), int(y.group("d")))
                except ValueError:
                    end = None
                if end is not None and end < first.date:
                    end = date(end.year + 1, end.month, end.day)
        if end is None:
            if "截止" in m.group() or "截至" in m.group():
                start, end = None, first.date
            else:
                continue
        return (
            start,
            end,
            folded[m.start() : m.end() + min(len(window), first.end + 40)].split("\n")[0].strip()[:120],
        )
    for m in _BEFORE_RE.finditer(folded):
        dates = [dm for dm in find_dates(m.group("date")) if dm.has_year]
        if dates:
            return None, dates[-1].date, m.group().strip()[:120]
    return None


_BOILERPLATE_RE = re.compile(
    r"关于|公开|广泛|征求|征集|征询|意见|建议|问卷|调查|网上|在线|网络|民意|满意度|工作|有关|事项|社会|各界|公众|"
    r"的|和|及|公告|通知|通告|启事|公示|结果|反馈|情况|采纳|吸纳|处理|说明|汇总|公布|稿|[（）()《》“”\"\s]|\d{4}年度?"
)
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})年")


def _same_survey(survey_title: str, candidate: str) -> bool:
    """Whether ``candidate`` (a result's title) names the survey: its 《…》 title, or the words left of both
    titles once the words every survey title shares (关于, 意见建议, 征集, 公告, 结果…) are removed."""
    title, cand = _despace(survey_title), _despace(candidate)
    years, cand_years = set(_YEAR_RE.findall(title)), set(_YEAR_RE.findall(cand))
    if years and cand_years and not years & cand_years:
        return False
    names = re.findall(r"《([^》]{2,80})》", title)
    if names:
        return any(n in cand for n in names)
    core, other = _BOILERPLATE_RE.sub("", title), _BOILERPLATE_RE.sub("", cand)
    if len(core) < 2:
        core, other = title, cand
        need = 0.8
    else:
        need = 0.8 if len(core) >= 5 else 1.0
    m = SequenceMatcher(None, core, other, autojunk=False).find_longest_match(0, len(core), 0, len(other))
    return m.size >= max(2, int(need * len(core) + 0.5))


def _page_title(page) -> str:
    article = getattr(page, "article", None)
    title = getattr(article, "title", None) if article is not None else None
    if title:
        return title.strip()
    return re.split(r"\s*(?:_|\||｜|--| - )\s*", (getattr(page, "title", "") or "").strip())[0]


def survey_of(page) -> Survey | None:
    """The survey a page announces (title and period), without its result; None for other pages."""
    title = _page_title(page)
    if not title or not _SURVEY_TITLE_RE.search(title) or _RESULT_RE.search(title):
        return None
    article = getattr(page, "article", None)
    text = getattr(article, "text", "") or getattr(page, "body_text", "") or ""
    found = _period(text)
    if found is None:
        found = _period(getattr(page, "body_text", "") or "")
    if found is None:
        return None
    start, end, period = found
    return Survey(url=page.url, title=title, start=start, end=end, period=period)


def _before(entry: tuple[object, int | None] | None, start: date | None) -> bool:
    """Whether a result's page, when it was read, shows a date before the survey opened: then it is the result of
    an earlier survey on the same subject (a yearly survey's last result), not of this one."""
    if entry is None or start is None:
        return False
    article = getattr(entry[0], "article", None)
    published = article.published if article is not None else None
    return published is not None and published < start


def _result_links(page, survey: Survey) -> tuple[str, str] | None:
    for link in getattr(page, "links", ()):
        if link.kind != "a" or link.hidden or link.nav or link.footer or link.url == survey.url:
            continue
        text = _despace(link.text)
        if not text:
            continue
        if re.fullmatch(r"(?:查看|调查|征集|投票|问卷)?结果|查看调查结果|征集结果|结果公布", text):
            return link.url, text
        if _RESULT_RE.search(text) and _same_survey(survey.title, text):
            return link.url, text
    return None


# ---------------------------------------------------------------------------------------------------------------
# A site


def _canon(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path or '/'}?{parts.query}"


@dataclass
class _Merged:
    url: str
    title: str
    board: str | None = None
    listed: ListedMessage | None = None
    record: DetailRecord | None = None
    detail_url: str | None = None
    snapshot_id: int | None = None
    extra: dict = field(default_factory=dict)


def _merge(m: _Merged) -> Message:
    rec, row = m.record, m.listed
    submitted = (rec.submitted if rec else None) or (row.submitted if row else None)
    replied = (rec.replied if rec else None) or (row.replied if row else None)
    status = (rec.status if rec else None) or (row.status if row else None)
    unit = (rec.unit if rec else None) or (row.unit if row else None)
    state = classify_status(status)
    basis = "status" if state else None
    if state is None and (replied is not None or (rec is not None and rec.answer)):
        state, basis = "answered", "reply"
    if state is None and rec is not None and not (rec.answer or rec.replied or rec.unit):
        state, basis = "pending", "no_reply_shown"
    missing = []
    for what, shown in (("submit_time", submitted), ("reply_time", replied)):
        if shown is not None:
            continue
        if what == "reply_time" and state != "answered":
            continue
        said = [src.missing for src in (rec, row) if src is not None]
        if any(what in s for s in said):
            missing.append(what)
    return Message(
        url=m.url,
        title=(rec.title if rec and rec.title else None) or m.title,
        board=m.board,
        submitted=submitted,
        replied=replied,
        unit=unit,
        status=status,
        state=state or "unknown",
        state_basis=basis,
        missing=tuple(missing),
        detail=rec is not None,
        record=rec.index if rec else 0,
        snapshot_id=m.snapshot_id,
    )


def read_interaction(
    home,
    pages: Mapping[str, tuple[object, int | None]],
    *,
    channel_keywords: Sequence[str] = (),
    excluded_keywords: Sequence[str] = (),
) -> Interaction:
    """Interaction facts of a site from its parsed pages (``pages``: URL → (Page, snapshot id); a page may be
    listed under several URLs, its requested and its final one)."""
    if home is None:
        return Interaction()
    unique: dict[int, tuple[object, int | None]] = {}
    for page, snapshot_id in pages.values():
        unique.setdefault(id(page), (page, snapshot_id))
    by_canon: dict[str, tuple[object, int | None]] = {}
    for url, entry in pages.items():
        by_canon.setdefault(_canon(url), entry)
    sitemap_url = find_sitemap_link(home)
    sitemap = pages.get(sitemap_url) if sitemap_url else None

    ordered: list[tuple[object, str]] = [(home, "home")]
    if sitemap is not None:
        ordered.append((sitemap[0], "sitemap"))
    ordered += [
        (p, "page") for p, _ in unique.values() if p is not home and (sitemap is None or p is not sitemap[0])
    ]
    channels, excluded = find_channels(ordered, channel_keywords, excluded_keywords)

    # messages: list rows first (joined with their detail pages), then details no list row names
    merged: dict[str, _Merged] = {}
    boards: list[str] = []
    details: dict[int, list[DetailRecord]] = {}

    def records_of(page) -> list[DetailRecord]:
        key = id(page)
        if key not in details:
            details[key] = detail_records(page)
        return details[key]

    for page, snapshot_id in unique.values():
        rows = listed_messages(page)
        if not rows:
            continue
        boards.append(page.url)
        for row in rows:
            key = row.url or f"{page.url}#{row.title}"
            if key in merged:
                continue
            m = _Merged(
                url=row.url or page.url, title=row.title, board=page.url, listed=row, snapshot_id=snapshot_id
            )
            target = by_canon.get(_canon(row.url)) if row.url else None
            if target is not None:
                recs = records_of(target[0])
                if len(recs) == 1:
                    m.record, m.snapshot_id = recs[0], target[1]
                    m.detail_url = target[0].url
            merged[key] = m
    joined = {m.detail_url for m in merged.values() if m.detail_url}
    for page, snapshot_id in unique.values():
        if page.url in joined or page is home:
            continue
        recs = records_of(page)
        for rec in recs:
            key = page.url if len(recs) == 1 else f"{page.url}#{rec.index}"
            if key not in merged:
                merged[key] = _Merged(
                    url=page.url, title=rec.title or _page_title(page), record=rec, snapshot_id=snapshot_id
                )

    # surveys, and the links and titles that could be their results, in one pass over the pages
    found: list[tuple[Survey, tuple[str, str] | None, int | None]] = []
    for page, snapshot_id in unique.values():
        if page is home:
            continue
        survey = survey_of(page)
        if survey is not None:
            found.append((survey, _result_links(page, survey), snapshot_id))
    surveys: list[Survey] = []
    if found:
        wanted = {s.url for s, _, _ in found}
        listed: set[str] = set()
        candidates: list[tuple[str, str]] = []
        for page, _ in unique.values():
            title = _page_title(page)
            if title and _RESULT_RE.search(title):
                candidates.append((page.url, title))
            for link in getattr(page, "links", ()):
                if link.kind != "a" or link.hidden:
                    continue
                if link.url in wanted and page is not home and not link.nav and link.url != page.url:
                    listed.add(link.url)
                text = _despace(link.text)
                if text and link.url not in wanted and _RESULT_RE.search(text):
                    candidates.append((link.url, text))
        for survey, result, snapshot_id in found:
            if result is None:
                result = next(
                    (
                        c
                        for c in candidates
                        if c[0] != survey.url
                        and _same_survey(survey.title, c[1])
                        and not _before(by_canon.get(_canon(c[0])), survey.start)
                    ),
                    None,
                )
            surveys.append(
                replace(
                    survey,
                    result_url=result[0] if result else None,
                    result_title=result[1] if result else None,
                    listed=survey.url in listed,
                    snapshot_id=snapshot_id,
                )
            )

    return Interaction(
        judged=True,
        home_links=sum(1 for link in home.links if link.kind in ("a", "area") and not link.hidden),
        sitemap=sitemap is not None,
        channels=tuple(channels[:50]),
        excluded=tuple(excluded[:20]),
        boards=tuple(boards),
        messages=tuple(_merge(m) for m in merged.values()),
        surveys=tuple(surveys),
    )
