"""Policy interpretation: important documents without a 解读 (``interpretation.missing``), and document and
解读 not linked both ways (``interpretation.unlinked``); with the two ratios a circular prints.

A document and an interpretation belong together when one links to the other, when the interpretation cites
the document's 文号, or when both carry the same 《title》. A document is judged missing only where the crawl
could have seen its interpretation: an interpretation column whose list pages were not all fetched covers only
back to its oldest listed item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import PolicyItem, SiteModel
from govinspect.extract.policy import core_title, normalise_name
from govinspect.scoring.profile import Profile

_DOC_NO_PARTS_RE = re.compile(r"^(.*?)〔(\d{4})〕(\d+)号$")


def same_doc_no(a: str, b: str) -> bool:
    """Two 文号 are the same when year and number agree and one issuer prefix ends the other (a 文号 cited in
    running text may carry words before it: 现将赣府办发〔2020〕12号)."""
    ma, mb = _DOC_NO_PARTS_RE.match(a), _DOC_NO_PARTS_RE.match(b)
    if ma is None or mb is None:
        return a == b
    if ma.group(2, 3) != mb.group(2, 3):
        return False
    pa, pb = ma.group(1), mb.group(1)
    short, long_ = sorted((pa, pb), key=len)
    return len(short) >= 2 and long_.endswith(short)


def _names_match(doc: PolicyItem, interp: PolicyItem) -> bool:
    core = core_title(doc.title)
    if len(core) >= 6 and core in normalise_name(interp.title):
        return True
    return bool(set(n for n in doc.names if len(n) >= 6) & set(interp.names))


def belong_together(doc: PolicyItem, interp: PolicyItem) -> bool:
    if interp.url in doc.links or doc.url in interp.links:
        return True
    if doc.doc_no and any(same_doc_no(doc.doc_no, cited) for cited in interp.doc_nos):
        return True
    return _names_match(doc, interp)


@dataclass(frozen=True)
class Pairing:
    documents: tuple[PolicyItem, ...]  # the documents judged
    interpreted: dict[str, list[PolicyItem]]  # document URL -> its interpretations
    not_judged: tuple[PolicyItem, ...]  # documents older than what the interpretation lists covered


def _excluded(doc: PolicyItem, profile: Profile) -> bool:
    words = profile.section("interpretation").get("exclude_title_keywords", [])
    return any(word in doc.title for word in words)


def _coverage_start(model: SiteModel) -> date | None:
    """The oldest date the interpretation lists reach back to, when one of them was not fetched to its end."""
    if all(complete for _, complete in model.interpretation_columns):
        return None
    dates = [i.published for i in model.policy if i.kind == "interpretation" and i.published is not None]
    return min(dates) if dates else date.max


def pair(model: SiteModel, profile: Profile) -> Pairing:
    docs = [d for d in model.policy if d.kind == "document" and d.fetched and not _excluded(d, profile)]
    interps = [i for i in model.policy if i.kind == "interpretation"]
    start = _coverage_start(model)
    judged, not_judged = [], []
    for doc in docs:
        if start is not None and (doc.published is None or doc.published < start):
            not_judged.append(doc)
        else:
            judged.append(doc)
    interpreted = {d.url: [i for i in interps if belong_together(d, i)] for d in docs}
    return Pairing(tuple(judged), interpreted, tuple(not_judged))


@dataclass(frozen=True)
class InterpretationFigures:
    documents: int
    interpreted: int
    pairs: int  # document–interpretation pairs whose two pages were fetched
    linked_both_ways: int

    @property
    def interpretation_ratio(self) -> float | None:
        return self.interpreted / self.documents if self.documents else None

    @property
    def linkage_ratio(self) -> float | None:
        return self.linked_both_ways / self.pairs if self.pairs else None


def _fetched_pairs(pairing: Pairing) -> list[tuple[PolicyItem, PolicyItem]]:
    return [
        (doc, interp)
        for doc in pairing.documents
        for interp in pairing.interpreted.get(doc.url, [])
        if interp.fetched
    ]


def interpretation_figures(model: SiteModel, profile: Profile) -> InterpretationFigures:
    pairing = pair(model, profile)
    pairs = _fetched_pairs(pairing)
    both = sum(1 for d, i in pairs if i.url in d.links and d.url in i.links)
    return InterpretationFigures(
        documents=len(pairing.documents),
        interpreted=sum(1 for d in pairing.documents if pairing.interpreted.get(d.url)),
        pairs=len(pairs),
        linked_both_ways=both,
    )


def check_interpretation(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    pairing = pair(model, profile)
    findings: list[Finding] = []
    for doc in pairing.documents:
        if doc.published is not None and doc.published > as_of:
            continue
        if not pairing.interpreted.get(doc.url):
            findings.append(
                Finding(
                    check="interpretation.missing",
                    url=doc.url,
                    message=f"政策文件“{doc.title}”（{doc.doc_no}）未发布解读材料",
                    evidence={"document": doc.title, "doc_no": doc.doc_no, "published": _iso(doc.published)},
                    severity=Severity.DEDUCTION,
                    snapshot_id=doc.snapshot_id,
                )
            )
    pairs = _fetched_pairs(pairing)
    for doc, interp in pairs:
        if doc.url not in interp.links:
            findings.append(
                _unlinked(interp, doc, interp, "interpretation->document", "解读材料页面未链接其政策文件")
            )
    for doc in pairing.documents:
        mine = [i for d, i in pairs if d is doc]
        if mine and not any(i.url in doc.links for i in mine):
            findings.append(
                _unlinked(doc, doc, mine[0], "document->interpretation", "政策文件页面未链接其解读材料")
            )
    return findings


def _unlinked(page: PolicyItem, doc: PolicyItem, interp: PolicyItem, direction: str, text: str) -> Finding:
    return Finding(
        check="interpretation.unlinked",
        url=page.url,
        message=f"{text}：“{doc.title}”与“{interp.title}”",
        evidence={
            "document": doc.url,
            "interpretation": interp.url,
            "doc_no": doc.doc_no,
            "missing_link": direction,
        },
        severity=Severity.DEDUCTION,
        snapshot_id=page.snapshot_id,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
