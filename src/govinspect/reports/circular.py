"""The circular's wording: paragraphs built from the verified figures, shared by the DOCX and the HTML.

Numbers enter the text only from :class:`~govinspect.reports.figures.Figures`; the default wording of
三、下一步工作要求 is plain text an office edits in its own template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from govinspect.reports.figures import CATEGORY_TEXT, Figures, cn_date
from govinspect.reports.tables import Attachment, attachments

CN_NUMBERS = "一二三四五六七八九十"
NAMES_IN_TEXT = 10  # the text names at most this many sites of a problem type, then says “等N家”

DEFAULT_REQUIREMENTS: list[tuple[str, str]] = [
    (
        "提高政治站位，严格审核把关。",
        "各地、各部门要把政治建设摆在政府网站和政务新媒体工作的首要位置，严格落实信息发布审核制度，"
        "坚持先审后发，严把政治关、法律关、政策关、保密关、文字关，确保发布内容准确、规范。",
    ),
    (
        "强化日常监管，及时整改问题。",
        "各地、各部门要建立健全常态化监管机制，明确各栏目更新时限和责任人，定期开展自查，"
        "发现问题立即整改；对本次通报的问题要举一反三，全面排查同类问题。",
    ),
    (
        "加强互动回应，提升服务水平。",
        "要畅通网上咨询建言渠道，及时答复网民留言，规范办事服务事项，做好政策文件与解读材料的相互关联，"
        "不断提升政府网站和政务新媒体的服务能力。",
    ),
]


@dataclass(frozen=True)
class Para:
    lead: str  # the run-in heading, e.g. “（一）总体情况。” (楷体 in the DOCX)
    text: str


@dataclass
class Circular:
    title: str
    recipients: str
    issuer: str
    issue_date: date
    deadline: date | None
    intro: str
    overall: list[Para]
    problems: list[Para]
    requirements: list[Para]
    closing: str
    attachments: list[Attachment]
    figures: Figures = field(repr=False)

    @property
    def issue_date_text(self) -> str:
        return cn_date(self.issue_date)

    def context(self) -> dict[str, object]:
        """What the DOCX template and the HTML page see."""
        tables = {a.key: a for a in self.attachments}
        return {
            "title": self.title,
            "recipients": self.recipients,
            "issuer": self.issuer,
            "issue_date": self.issue_date_text,
            "deadline": cn_date(self.deadline),
            "intro": self.intro,
            "overall": self.overall,
            "problems": self.problems,
            "requirements": self.requirements,
            "closing": self.closing,
            "attachment_list": [f"{a.number}.{a.title}" for a in self.attachments if a.number],
            "attachments": [a for a in self.attachments if a.number],
            "tables": tables,
            "f": self.figures,
            "period": self.figures.period_label,
        }

    def text(self) -> str:
        """The body as plain text: what the text self-check reads."""
        parts = [self.title, self.recipients, self.intro]
        for section in (self.overall, self.problems, self.requirements):
            parts += [p.lead + p.text for p in section]
        parts.append(self.closing)
        return "\n".join(parts)


def _sites_phrase(names: tuple[str, ...] | list[str]) -> str:
    """“A”存在 / “A”、“B”共2家网站存在 / “A”…等12家网站存在: the count is always the group's own."""
    shown = "、".join(f"“{n}”" for n in names[:NAMES_IN_TEXT])
    if len(names) == 1:
        return shown
    if len(names) <= NAMES_IN_TEXT:
        return f"{shown}共{len(names)}家网站"
    return f"{shown}等{len(names)}家网站"


def _overall(f: Figures, scope: str) -> list[Para]:
    categories = "，".join(f"{CATEGORY_TEXT.get(c, c)}{n}家" for c, n in f.by_category.items())
    running = f"截至{cn_date(f.as_of)}，{scope}正在运行的政府网站{f.running}家。其中，{categories}。"
    if f.accounts_running:
        running += f"名录中正在运行的政务新媒体{f.accounts_running}个。"
    o = f.overall
    if f.full_coverage:
        checked = f"{f.period_label}，对{scope}正在运行的{o.total}家政府网站进行了全覆盖检查"
    else:
        checked = f"{f.period_label}共抽查政府网站{o.checked}家，抽查比例为{f.sample_ratio_text}"
    checked += f"，发现存在突出问题的网站{o.failed}家，总体合格率为{o.text}。"
    parts = []
    for rate in (f.provincial_departments, f.local):
        if rate.checked:
            parts.append(f"{rate.label}抽查{rate.checked}家，合格率为{rate.text}")
    p = f.portals
    if p.checked:
        scope_word = f"{p.total}家门户网站全部抽查" if p.all_checked else f"门户网站抽查{p.checked}家"
        parts.append(f"{scope_word}，合格率为{p.text}")
    if parts:
        checked += "其中，" + "；".join(parts) + "。"
    paras = [Para("（一）基本情况。", running), Para("（二）网站检查情况。", checked)]
    if f.bands:
        top = [s.name for b in f.bands for s in b.sites]
        shown = "、".join(f"“{n}”" for n in top[:NAMES_IN_TEXT]) + (
            "等网站" if len(top) > NAMES_IN_TEXT else ""
        )
        paras.append(Para("（三）得分较高的网站。", f"{shown}得分较高（名单见附件2）。"))
    return paras


def _problems(f: Figures) -> list[Para]:
    paras = []
    for i, group in enumerate(f.problem_groups):
        number = CN_NUMBERS[i] if i < len(CN_NUMBERS) else str(i + 1)
        if group.kind == "单项否决":
            text = f"{_sites_phrase(group.sites)}存在“{group.name}”问题，被单项否决。"
        else:
            text = f"{_sites_phrase(group.sites)}存在“{group.name}”问题。"
        paras.append(Para(f"（{number}）{group.name}。", text))
    if not paras:
        paras.append(Para("", "本次检查未发现网站存在突出问题。"))
    return paras


def make_circular(
    figures: Figures,
    *,
    issue_date: date,
    deadline: date | None,
    scope: str = "全省",
    issuer: str = "",
    recipients: str = "各地、各部门：",
    requirements: list[tuple[str, str]] | None = None,
) -> Circular:
    period = figures.period_label
    title = f"关于{period}{scope}政府网站与政务新媒体检查情况的通报"
    intro = (
        f"按照《国务院办公厅秘书局关于印发政府网站与政务新媒体检查指标、监管工作年度考核指标的通知》"
        f"（国办秘函〔2019〕19号）要求，{issuer or '我办'}组织开展了{period}{scope}政府网站检查工作。"
        "现将有关情况通报如下："
    )
    reqs = requirements or DEFAULT_REQUIREMENTS
    requirement_paras = [
        Para(f"（{CN_NUMBERS[i] if i < len(CN_NUMBERS) else i + 1}）{lead}", text)
        for i, (lead, text) in enumerate(reqs)
    ]
    if figures.problem_sites:
        closing = "对本次通报的问题，有关单位要高度重视，立即整改"
        closing += f"，并于{cn_date(deadline)}前将整改情况报送{issuer or '我办'}。" if deadline else "。"
    else:
        closing = "各地、各部门要对照检查指标，举一反三，持续做好政府网站建设管理工作。"
    return Circular(
        title=title,
        recipients=recipients,
        issuer=issuer,
        issue_date=issue_date,
        deadline=deadline,
        intro=intro,
        overall=_overall(figures, scope),
        problems=_problems(figures),
        requirements=requirement_paras,
        closing=closing,
        attachments=attachments(figures, scope),
        figures=figures,
    )
