"""Policy documents and their interpretations (解读) as the crawl saw them: the facts ``interpretation.*`` match.

A document is an article that carries a 文号 (赣府办发〔2020〕12号) in a policy column, or prints one under a
发文字号 label anywhere; an interpretation is an article or list entry titled 解读/图解/一图读懂/答记者问…, or an
item of an interpretation column. Matching the two (by links, cited 文号, cited 《title》) is the check's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

from govinspect.extract.model import PolicyItem
from govinspect.extract.page import Page

_OPEN = "〔[［【(（"
_CLOSE = "〕]］】)）"
# 赣府办发〔2020〕12号, 国办函〔2019〕19号, 粤府令第271号 is a 令 number (no year bracket): not matched on purpose.
DOC_NO_RE = re.compile(
    rf"[\u4e00-\u9fffA-Za-z]{{1,16}}\s*[{re.escape(_OPEN)}]\s*((?:19|20)\d{{2}})\s*[{re.escape(_CLOSE)}]\s*第?\s*(\d{{1,5}})\s*号"
)
_LABELLED_DOC_NO_RE = re.compile(r"(?:发文字号|发文文号|文\s*号)\s*[:：]?\s*")
_INTERP_TITLE_RE = re.compile(
    r"解读|图解|一图(?:读|看|了解|速览)|图说|答记者问|政策问答|问答|视频解读|动漫解读"
)
_NAME_RE = re.compile(r"《([^《》]{4,80})》")
_TITLE_WRAP_RE = re.compile(
    r"^(?:.{0,40}?关于)?(?:印发|转发|发布|公布|出台)?|(?:的)?(?:通知|通告|公告|决定|意见)$"
)


def normalise_doc_no(text: str) -> str:
    """One spelling of a 文号: brackets folded to 〔〕, spaces and a leading 第 dropped."""
    m = DOC_NO_RE.search(text)
    if m is None:
        return re.sub(r"\s+", "", text)
    prefix = re.sub(r"\s+", "", text[m.start() : m.start(1)]).rstrip(_OPEN)
    return f"{prefix}〔{m.group(1)}〕{int(m.group(2))}号"


def normalise_name(name: str) -> str:
    return re.sub(r"[\s\u3000“”\"'（）()]", "", name)


def _labelled_doc_no(text: str) -> str | None:
    for m in _LABELLED_DOC_NO_RE.finditer(text):
        found = DOC_NO_RE.match(text, m.end())
        if found is not None:
            return found.group()
    return None


def document_number(page: Page) -> tuple[str | None, bool]:
    """The page's 文号 and whether it was printed under a label (发文字号：…): the title, a label, or a line of its
    own at the top of the text, as 规范性文件 print it."""
    labelled = _labelled_doc_no(page.body_text[:4000])
    if labelled:
        return normalise_doc_no(labelled), True
    title = page.article.title or page.title or ""
    m = DOC_NO_RE.search(title)
    if m:
        return normalise_doc_no(m.group()), False
    for line in page.article.text[:600].splitlines()[:8]:
        line = line.strip()
        m = DOC_NO_RE.fullmatch(line) if len(line) <= 30 else None
        if m:
            return normalise_doc_no(m.group()), False
    return None, False


def interpretation_kind(title: str) -> str | None:
    """文字解读, 图解, 视频解读 or 问答 when the title names an interpretation, else None."""
    if not _INTERP_TITLE_RE.search(title):
        return None
    if re.search(r"视频|动漫", title):
        return "视频解读"
    if re.search(r"图解|一图|图说", title):
        return "图解"
    if re.search(r"问答|答记者问", title):
        return "问答"
    return "文字解读"


def cited_names(*texts: str) -> tuple[str, ...]:
    names: list[str] = []
    for text in texts:
        names.extend(normalise_name(m.group(1)) for m in _NAME_RE.finditer(text))
    return tuple(dict.fromkeys(names))


def core_title(title: str) -> str:
    """A document title without its wrapper: 某某关于印发《X》的通知 -> X (or the title when it has no 《》)."""
    names = cited_names(title)
    if names:
        return names[0]
    return normalise_name(_TITLE_WRAP_RE.sub("", title))


def policy_item(
    page: Page,
    snapshot_id: int | None,
    *,
    column_url: str | None,
    column_class: str | None,
    published: date | None,
    link_key: Callable[[str], str],
    interpretation_classes: Iterable[str] = ("interpretation",),
    document_classes: Iterable[str] = ("policy",),
) -> PolicyItem | None:
    """A fetched article as a document or an interpretation, or None when it is neither."""
    title = (page.article.title or page.title or "").strip()
    doc_no, labelled = document_number(page)
    kind_of_interp = interpretation_kind(title)
    in_interp_column = column_class in set(interpretation_classes)
    links = tuple(
        dict.fromkeys(
            link_key(link.url)
            for link in page.links
            if link.kind == "a" and not link.nav and not link.footer and link.url != page.url
        )
    )
    head = page.article.text[:600]
    if kind_of_interp or (in_interp_column and not labelled):
        return PolicyItem(
            url=page.url,
            kind="interpretation",
            title=title,
            snapshot_id=snapshot_id,
            published=published,
            names=cited_names(title, head),
            doc_nos=tuple(dict.fromkeys(normalise_doc_no(m.group()) for m in DOC_NO_RE.finditer(head))),
            links=links,
            column_url=column_url,
            interpretation_kind=kind_of_interp or "文字解读",
        )
    if doc_no and (labelled or column_class in set(document_classes)):
        return PolicyItem(
            url=page.url,
            kind="document",
            title=title,
            snapshot_id=snapshot_id,
            doc_no=doc_no,
            published=published,
            names=cited_names(title),
            links=links,
            column_url=column_url,
        )
    return None


def listed_interpretation(url: str, title: str, column_url: str, published: date | None) -> PolicyItem:
    """An interpretation known from its column's list only (its page was not fetched)."""
    return PolicyItem(
        url=url,
        kind="interpretation",
        title=title,
        fetched=False,
        published=published,
        names=cited_names(title),
        column_url=column_url,
        interpretation_kind=interpretation_kind(title) or "文字解读",
    )
