"""Online services: whether the homepage offers them (service columns, 办事 entries, links to a 政务服务 platform)
and the elements each 办事指南 page shows.

Guides are read from tables (label cell → value cell, beside or below), definition lists and "label：value" or
heading-then-text paragraphs, keyed on the Chinese labels with the synonyms real guides use (受理条件 for 申请条件,
实施机关 for 办理机构, 咨询电话 for 联系电话…). A page is a guide only when it shows several elements on a page
that says it is one (its title, column, breadcrumb or URL speaks of 办事/指南/服务事项), or very many elements:
a notice listing a 联系电话 and an 办理地点 is never judged as an incomplete guide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from lxml import etree

from govinspect.extract.columns import find_sitemap_link
from govinspect.extract.html import inline_text, text_of
from govinspect.extract.model import Column, ServiceGuide, Services
from govinspect.extract.page import Page

__all__ = ["GUIDE_SYNONYMS", "guide_elements", "is_guide", "read_guide", "read_services", "service_entries"]

# canonical element (as the national profile names it) → labels real guides print for it
GUIDE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "事项名称": ("事项名称", "项目名称", "服务事项名称", "审批项目名称", "服务项目名称", "事项名", "服务名称",
                 "业务名称", "办理事项", "服务事项", "审批事项", "许可事项", "行政许可事项", "事项"),
    "设定依据": ("设定依据", "法定依据", "实施依据", "办理依据", "法律依据", "政策依据", "许可依据", "审批依据",
                 "受理依据", "设立依据", "法律法规依据", "依据"),
    "申请条件": ("申请条件", "受理条件", "办理条件", "准予批准的条件", "许可条件", "申办条件", "申报条件",
                 "准入条件", "申请人条件", "申请资格", "受理标准"),
    "办理材料": ("办理材料", "申请材料", "提交材料", "申报材料", "所需材料", "办事材料", "需提交材料", "应提交材料",
                 "受理材料", "申请资料", "所需资料", "提交资料", "材料清单", "办理所需材料", "申请人需提交的材料"),
    "办理地点": ("办理地点", "办理地址", "受理地点", "办公地点", "办事地点", "受理地址", "窗口地址", "办理窗口",
                 "受理窗口", "服务地点", "办公地址", "地点", "地址"),
    "办理机构": ("办理机构", "实施机关", "实施主体", "受理机构", "受理部门", "办理部门", "实施机构", "责任部门",
                 "主管部门", "承办机构", "审批机关", "决定机关", "许可机关", "受理单位", "办理单位", "承办部门",
                 "实施部门", "审批部门", "受理机关"),
    "收费标准": ("收费标准", "收费依据及标准", "收费依据和标准", "收费标准及依据", "收费项目及标准", "收费情况",
                 "是否收费", "事项收费", "收费", "办理费用", "收费依据"),
    "办理时间": ("办理时间", "办公时间", "受理时间", "工作时间", "服务时间", "窗口办公时间", "办事时间"),
    "联系电话": ("联系电话", "咨询电话", "咨询方式", "联系方式", "咨询途径", "电话", "联系人及电话", "办公电话", "咨询联系电话"),
    "办理流程": ("办理流程", "办事流程", "办理程序", "办事程序", "审批流程", "申请流程", "业务流程", "办理步骤",
                 "流程图", "事项程序", "受理流程", "工作流程", "服务流程", "申办流程", "审批程序", "流程", "程序"),
}  # fmt: skip
_SUFFIXES = ("目录", "清单", "及要求", "要求", "说明", "及说明", "信息")
_NUMBERING_RE = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|第[一二三四五六七八九十]+[、条项])"
)
_DECOR_RE = re.compile(r"[\s\u3000*★☆●◆■□·•【】\[\]<>《》:：]")
_GUIDE_CONTEXT_RE = re.compile(
    r"办事指南|服务指南|办事服务|网上办事|政务服务|便民服务|指南|办事|服务事项|事项清单|bszn|bsfw|zwfw|fwzn|bszl|guide",
    re.I,
)
_BREADCRUMB_RE = re.compile(r"(?:当前位置|您的位置|你的位置|所在位置|当前栏目)\s*[:：]?(.{0,80})")
_LINE_RE_CACHE: dict[tuple[str, ...], tuple[re.Pattern[str], re.Pattern[str]]] = {}

# Online services on a homepage (short entry texts, so a headline about 政务服务 is not taken for an entry).
_SERVICE_TEXT_RE = re.compile(
    r"办事|政务服务|在线服务|网上服务|便民服务|公共服务|在线办理|网上办理|一网通办|跨省通办|掌上办|好差评|行政审批|"
    r"(?:个人|法人|企业|公众|民生|投资|社会|部门|特色|主题|场景)服务|服务(?:事项|指南|大厅|中心|清单)|我要(?:办|查|问)|"
    r"政务大厅|审批服务|证照|服务平台"
)
_SERVICE_URL_RE = re.compile(
    r"zwfw|zwdt|zxbs|wsbs|bsdt|bsfw|bszn|banshi|fwzn|ggfw|bmfw|xzsp|zwfwzx|onlineservice|gjzwfw|tyrz|/bs/|/fw/",
    re.I,
)
_ENTRY_MAX_CHARS = 15


def _label_map(elements: Sequence[str]) -> dict[str, str]:
    """Printed label (compact) → canonical element, for the profile's elements (unknown names: themselves)."""
    out: dict[str, str] = {}
    for element in elements:
        for label in (element, *GUIDE_SYNONYMS.get(element, ())):
            for suffix in ("", *_SUFFIXES):
                out.setdefault(label + suffix, element)
    return out


def _label(text: str, labels: Mapping[str, str]) -> str | None:
    """The element a printed label names: exactly a synonym, or a longer one's tail (窗口办理流程, 申请受理机关)."""
    compact = _DECOR_RE.sub("", _NUMBERING_RE.sub("", (text or "").strip()))
    found = labels.get(compact)
    if found is None and len(compact) <= 10:
        found = next(
            (labels[compact[k:]] for k in (1, 2, 3) if len(compact) - k >= 4 and compact[k:] in labels), None
        )
    return found


def _patterns(labels: Mapping[str, str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A line that starts with a label (a heading, or "label：value"), and "label：value" inside a line after
    a separator (办理地点：…；办理时间：…)."""
    key = tuple(sorted(labels))
    patterns = _LINE_RE_CACHE.get(key)
    if patterns is None:
        alternatives = "|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True))
        patterns = _LINE_RE_CACHE[key] = (
            re.compile(
                rf"^\s*(?:{_NUMBERING_RE.pattern[1:]})?\s*[【\[]?\s*({alternatives})\s*[】\]]?\s*(?:[:：]\s*(.*))?$"
            ),
            re.compile(rf"(?:(?<=[；;。，,\s])|^)({alternatives})\s*[:：]\s*([^；;。]*)"),
        )
    return patterns


def _line_re(labels: Mapping[str, str]) -> re.Pattern[str]:
    return _patterns(labels)[0]


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _content_lines(page: Page) -> list[str]:
    """The page's visible lines outside its footer (the site's own 联系电话 there is not the guide's)."""
    lines = [line.strip() for line in page.body_text.split("\n") if line.strip()]
    if page.layout is None or not page.layout.footer_roots:
        return lines
    footer = {
        line.strip()
        for root in page.layout.footer_roots
        for line in text_of(root, page.layout).split("\n")
        if line.strip()
    }
    return [line for line in lines if line not in footer]


def guide_elements(page: Page, elements: Sequence[str]) -> dict[str, str]:
    """Canonical element → the label printed for it, for each element the page shows with a value."""
    if page.tree is None:
        return {}
    labels = _label_map(elements)
    layout = page.layout

    def skip(el: etree._Element) -> bool:
        return layout is not None and (el in layout.nav or el in layout.footer or el in layout.hidden)

    found: dict[str, str] = {}

    def note(label_text: str, value: str) -> None:
        element = _label(label_text, labels)
        if element is not None and element not in found and _has_value(value, labels):
            found[element] = _DECOR_RE.sub("", _NUMBERING_RE.sub("", label_text.strip()))

    # tables: a label cell and the cell beside it, or the row below a label alone on its row
    for table in page.tree.iter("table"):
        if skip(table):
            continue
        rows = [r for r in table.iter("tr") if _cells(r)]
        for r, row in enumerate(rows):
            cells = _cells(row)
            for c, cell in enumerate(cells):
                text = inline_text(cell)
                if _label(text, labels) is None:
                    continue
                if c + 1 < len(cells):
                    note(text, text_of(cells[c + 1]))
                elif r + 1 < len(rows) and len(cells) == 1:
                    note(text, text_of(rows[r + 1]))
    # definition lists
    for dt in page.tree.iter("dt"):
        if skip(dt):
            continue
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd":
            note(inline_text(dt), text_of(dd))
    # paragraphs: "label：value", or a label heading followed by its text
    lines = _content_lines(page)
    pattern = _line_re(labels)
    for i, line in enumerate(lines):
        m = pattern.match(line) if len(line) <= 400 else None
        if m is None:
            continue
        value = (m.group(2) or "").strip()
        if not value and i + 1 < len(lines) and not pattern.match(lines[i + 1]):
            value = lines[i + 1]
        note(m.group(1), value)
    inline = _patterns(labels)[1]
    for line in lines:
        if len(line) <= 2000 and ("：" in line or ":" in line):
            for m in inline.finditer(line):
                note(m.group(1), m.group(2))
    return found


def _has_value(value: str, labels: Mapping[str, str]) -> bool:
    compact = _DECOR_RE.sub("", value or "")
    return bool(compact) and _label(compact, labels) is None


def _context(page: Page) -> str:
    meta = " ".join(v for k, v in page.meta.items() if k.lower() in ("columnname", "columntype", "keywords"))
    crumbs = " ".join(m.group(1) for m in _BREADCRUMB_RE.finditer(page.body_text[:3000]))
    return " ".join((page.title, page.article.title or "", meta, crumbs, urlsplit(page.url).path))


def is_guide(page: Page, found: Mapping[str, str], *, min_elements: int = 3) -> bool:
    """A 办事指南: ``min_elements`` elements on a page that says it is a guide, or twice as many anywhere."""
    if len(found) >= 2 * min_elements:
        return True
    return len(found) >= min_elements and bool(_GUIDE_CONTEXT_RE.search(_context(page)))


def tab_labels(page: Page, elements: Sequence[str]) -> set[str]:
    """Elements named in a row of three or more bare labels (a tab bar or a menu): their text may be drawn by a
    script, so the page cannot show that they are missing."""
    labels = _label_map(elements)
    pattern = _line_re(labels)
    lines = _content_lines(page)
    out: set[str] = set()
    run: list[str] = []
    for line in [*lines, ""]:
        m = pattern.match(line) if line and len(line) <= 40 else None
        if m is not None and not (m.group(2) or "").strip():
            run.append(labels[_DECOR_RE.sub("", m.group(1))])
            continue
        if len(run) >= 3:
            out.update(run)
        run = []
    return out


def read_guide(
    page: Page, snapshot_id: int | None, elements: Sequence[str], *, min_elements: int = 3
) -> ServiceGuide | None:
    """The guide a page shows, or None: not a guide, or one whose elements sit behind tabs a script fills."""
    found = guide_elements(page, elements)
    if not is_guide(page, found, min_elements=min_elements):
        return None
    if tab_labels(page, elements) - set(found):
        return None
    ordered = [e for e in elements if e in found]
    return ServiceGuide(
        url=page.url,
        snapshot_id=snapshot_id,
        title=(page.article.title or page.title or "").strip()[:200],
        elements=tuple(ordered),
        labels=tuple(found[e] for e in ordered),
    )


def _quick_filter(elements: Sequence[str]) -> re.Pattern[str]:
    words = sorted({w for e in elements for w in (e, *GUIDE_SYNONYMS.get(e, ())) if len(w) >= 3}, key=len)
    return re.compile("|".join(re.escape(w) for w in words))


def service_entries(page: Page, columns: Iterable[Column] = ()) -> list[str]:
    """What shows online services on a page: short link texts (columns, entries, platform names), service
    URLs, short lines of text (a block heading), and columns named so."""
    found: list[str] = []
    for link in page.links:
        if link.kind not in ("a", "area", "iframe"):
            continue
        text = re.sub(r"\s+", "", link.text)
        if text and len(text) <= _ENTRY_MAX_CHARS and _SERVICE_TEXT_RE.search(text):
            found.append(f"{text} {link.url}")
        elif _SERVICE_URL_RE.search(link.url):
            found.append(f"{text} {link.url}".strip())
    for line in page.body_text.split("\n"):
        line = re.sub(r"\s+", "", line)
        if line and len(line) <= _ENTRY_MAX_CHARS and _SERVICE_TEXT_RE.search(line):
            found.append(line)
    for column in columns:
        if _SERVICE_TEXT_RE.search(column.name) or _SERVICE_URL_RE.search(column.url):
            found.append(f"{column.name} {column.url}")
    return list(dict.fromkeys(found))


def read_services(
    home: tuple[Page, int | None] | None,
    pages: Mapping[str, tuple[int | None, Page]],
    columns: Sequence[Column],
    elements: Sequence[str],
    *,
    min_elements: int = 3,
) -> Services:
    """The service facts of a site: entries on the homepage (and its 网站地图), and every guide page read."""
    guides: list[ServiceGuide] = []
    seen: set[str] = set()
    quick = _quick_filter(elements)
    for snapshot_id, page in pages.values():
        if page.url in seen:
            continue
        seen.add(page.url)
        if len(set(quick.findall(page.body_text))) < min_elements:
            continue  # cheap: most pages name no guide element at all
        guide = read_guide(page, snapshot_id, elements, min_elements=min_elements)
        if guide is not None:
            guides.append(guide)
    if home is None:
        return Services(guides=tuple(guides))
    home_page, snapshot_id = home
    entries = service_entries(home_page, columns)
    sitemap_url = find_sitemap_link(home_page)
    if sitemap_url and sitemap_url in pages:
        entries += service_entries(pages[sitemap_url][1])
    return Services(
        page_url=home_page.url,
        snapshot_id=snapshot_id,
        entries=tuple(dict.fromkeys(entries))[:10],
        page_links=sum(1 for link in home_page.links if link.kind in ("a", "area")),
        guides=tuple(guides),
    )
