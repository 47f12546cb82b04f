"""The circular's wording: paragraphs built from the verified figures, shared by the DOCX and the HTML.

Numbers enter the text only from :class:`~govinspect.reports.figures.Figures`; the default wording of
三、下一步工作要求 is plain text an office edits in its own template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from govinspect.reports.figures import CATEGORY_TEXT, Figures, ProblemGroup, cn_date
from govinspect.reports.records import Compared, Rate, change_text
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


def _sites_phrase(names: tuple[str, ...] | list[str], unit: str = "家网站") -> str:
    """“A”存在 / “A”、“B”共2家网站存在 / “A”…等12家网站存在: the count is always the group's own."""
    shown = "、".join(f"“{n}”" for n in names[:NAMES_IN_TEXT])
    if len(names) == 1:
        return shown
    if len(names) <= NAMES_IN_TEXT:
        return f"{shown}共{len(names)}{unit}"
    return f"{shown}等{len(names)}{unit}"


def _number(i: int) -> str:
    return CN_NUMBERS[i] if i < len(CN_NUMBERS) else str(i + 1)


def _changes(now: Rate, compared: tuple[Compared, ...], pick) -> str:  # type: ignore[no-untyped-def]
    """“，同比上升1.33个百分点、环比下降0.52个百分点”: against each compared period that has the figure."""
    parts = []
    for c in compared:
        before = pick(c)
        if before is None or not before.checked or not now.checked:
            continue
        change = change_text(now, before)
        parts.append(f"{c.relation}{change}" if c.relation else f"较{c.label}{change}")
    return "，" + "、".join(parts) if parts else ""


def _compared_details(compared: tuple[Compared, ...]) -> str:
    details = []
    for c in compared:
        name = f"{c.label}（{c.relation}）" if c.relation else c.label
        details.append(
            f"{name}抽查政府网站{c.sites.checked}家，存在突出问题的{c.sites.failed}家，合格率为{c.sites.text}"
        )
    return "；".join(details) + "。" if details else ""


def _recheck(f: Figures) -> str:
    r = f.recheck
    if r is None:
        return ""
    n = len(r.failed_before)
    if not r.rechecked:
        return f"{r.label}存在突出问题的{n}家网站本期均未复查。"
    if len(r.rechecked) == n:
        text = f"对{r.label}存在突出问题的{n}家网站全部进行了复查"
    else:
        text = f"对{r.label}存在突出问题的{n}家网站中的{len(r.rechecked)}家进行了复查"
    if r.passed and r.still_failing:
        text += f"，其中{len(r.passed)}家已整改合格，{_sites_phrase(r.still_failing)}仍存在突出问题"
    elif r.passed:
        text += "，均已整改合格"
    else:
        text += f"，{_sites_phrase(r.still_failing)}仍存在突出问题"
    if r.rechecked and len(r.rechecked) < n:
        text += f"；另有{r.not_rechecked}家本期未复查"
    return text + "。"


def _accounts(f: Figures, scope: str, number: int | None) -> str:
    a = f.accounts
    if a is None:
        return "本期没有政务新媒体的检查结果，本通报不含政务新媒体检查情况，不附政务新媒体名单。"
    if a.all_checked:
        text = f"对{scope}正在运行的{a.total}个政务新媒体进行了全覆盖检查"
    else:
        text = f"对{scope}正在运行的{a.total}个政务新媒体中的{a.checked}个进行了抽查，抽查比例为{f.accounts_sample_ratio_text}"
    parts = [r for r in (f.accounts_provincial, f.accounts_local) if r and r.checked]
    if len(parts) == 2:
        text += "。其中，" + "，".join(f"{r.label}{r.checked}个" for r in parts)
    text += f"。抽查发现{a.failed}个政务新媒体存在突出问题，总体合格率为{a.text}"
    text += _changes(a, f.comparisons, lambda c: c.accounts)
    if a.failed and number:
        text += f"（名单见附件{number}）"
    return text + "。"


def _messages(f: Figures, number: int | None) -> str:
    t = f.message_total
    if t is None or not f.message_rows:
        return ""
    start, end = f.message_window
    window = f"{cn_date(start)}至{cn_date(end)}" if start and end else f"截至{cn_date(end)}"
    text = (
        f"抽查的网站中，{len(f.message_rows)}家网站公开了{window}受理的网民留言，共受理留言{t.received}条，"
        f"办结{t.answered}条，办结率为{t.rate_text}"
    )
    if t.mean_days is not None:
        text += f"，办结平均用时{t.mean_text}个工作日"
    if number:
        text += f"（详见附件{number}）"
    return text + "。"


def _overall(f: Figures, scope: str, numbers: dict[str, int] | None = None) -> list[Para]:
    numbers = numbers or {}
    categories = "，".join(f"{CATEGORY_TEXT.get(c, c)}{n}家" for c, n in f.by_category.items())
    running = f"截至{cn_date(f.as_of)}，{scope}正在运行的政府网站{f.running}家。其中，{categories}。"
    if f.accounts_running:
        running += f"名录中正在运行的政务新媒体{f.accounts_running}个。"
    o = f.overall
    if f.full_coverage:
        checked = f"{f.period_label}，对{scope}正在运行的{o.total}家政府网站进行了全覆盖检查"
    else:
        checked = f"{f.period_label}共抽查政府网站{o.checked}家，抽查比例为{f.sample_ratio_text}"
    checked += f"，发现存在突出问题的网站{o.failed}家，总体合格率为{o.text}"
    checked += _changes(o, f.comparisons, lambda c: c.sites) + "。"
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
    checked += _compared_details(f.comparisons) + _recheck(f)
    paras = [
        ("基本情况", running),
        ("网站检查情况", checked),
        ("政务新媒体检查情况", _accounts(f, scope, numbers.get("a4"))),
    ]
    if messages := _messages(f, numbers.get("a5")):
        paras.append(("网民留言办理情况", messages))
    if f.bands:
        top = [s.name for b in f.bands for s in b.sites]
        shown = "、".join(f"“{n}”" for n in top[:NAMES_IN_TEXT]) + (
            "等网站" if len(top) > NAMES_IN_TEXT else ""
        )
        paras.append(("得分较高的网站", f"{shown}得分较高（名单见附件{numbers.get('a2', 2)}）。"))
    return [Para(f"（{_number(i)}）{lead}。", text) for i, (lead, text) in enumerate(paras)]


def _problems(f: Figures) -> list[Para]:
    items: list[tuple[str, str]] = []
    for group in f.problem_groups:
        if group.kind == "单项否决":
            text = f"{_sites_phrase(group.sites)}存在“{group.name}”问题，被单项否决。"
        else:
            text = f"{_sites_phrase(group.sites)}存在“{group.name}”问题。"
        items.append((group.name, text))
    for group in f.account_groups:
        items.append((f"政务新媒体{group.name}", _account_phrase(group)))
    paras = [Para(f"（{_number(i)}）{lead}。", text) for i, (lead, text) in enumerate(items)]
    if not paras:
        paras.append(Para("", "本次检查未发现网站存在突出问题。"))
    return paras


def _account_phrase(group: ProblemGroup) -> str:
    return f"{_sites_phrase(group.sites, '个政务新媒体')}存在“{group.name}”问题，被单项否决。"


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
    checked_what = "政府网站与政务新媒体" if figures.accounts is not None else "政府网站"
    intro = (
        f"按照《国务院办公厅秘书局关于印发政府网站与政务新媒体检查指标、监管工作年度考核指标的通知》"
        f"（国办秘函〔2019〕19号）要求，{issuer or '我办'}组织开展了{period}{scope}{checked_what}检查工作。"
        "现将有关情况通报如下："
    )
    reqs = requirements or DEFAULT_REQUIREMENTS
    tables = attachments(figures, scope)
    numbers = {a.key: a.number for a in tables if a.number}
    requirement_paras = [
        Para(f"（{CN_NUMBERS[i] if i < len(CN_NUMBERS) else i + 1}）{lead}", text)
        for i, (lead, text) in enumerate(reqs)
    ]
    if figures.problem_sites or figures.problem_accounts:
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
        overall=_overall(figures, scope, numbers),
        problems=_problems(figures),
        requirements=requirement_paras,
        closing=closing,
        attachments=tables,
        figures=figures,
    )
