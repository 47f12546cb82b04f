"""The content model of one synthetic site: columns, items, messages, surveys, guides, and defect injection.

Pure data: no HTML here (see render.py). ``make_site`` builds the clean site for a plan, applies the plan's
defect kinds, and returns the site with the ground-truth records of what it injected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from govinspect.farm import text as T
from govinspect.farm.plan import SitePlan

# 2019–2020 public holidays (with the 2020 Spring Festival extension); normal replies avoid them so that a
# normal reply takes at most 2 working days under any holiday calendar.
_HOLIDAY_RANGES = [
    ("2019-01-01", "2019-01-01"), ("2019-02-04", "2019-02-10"), ("2019-04-05", "2019-04-07"),
    ("2019-05-01", "2019-05-04"), ("2019-06-07", "2019-06-09"), ("2019-09-13", "2019-09-15"),
    ("2019-10-01", "2019-10-07"), ("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-09"),
    ("2020-04-04", "2020-04-06"), ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"),
    ("2020-10-01", "2020-10-08"), ("2021-01-01", "2021-01-03"), ("2021-02-11", "2021-02-17"),
]  # fmt: skip


def _holidays() -> frozenset[date]:
    days: set[date] = set()
    for a, b in _HOLIDAY_RANGES:
        d, end = date.fromisoformat(a), date.fromisoformat(b)
        while d <= end:
            days.add(d)
            d += timedelta(days=1)
    return frozenset(days)


HOLIDAYS = _holidays()

DYNAMIC_LIMIT_DAYS = 14
NOTICE_LIMIT_DAYS = 183  # "6 months"; injected staleness is far beyond it

# role, name (portal / department), slug, count, interval range, normal latest-offset range
COLUMN_SPECS = [
    ("dynamic", ("政务要闻", "要闻"), "xwzx/zwyw", 24, (1, 3), (0, 3)),
    ("dynamic", ("工作动态", "工作动态"), "xwzx/gzdt", 20, (1, 4), (0, 5)),
    ("dynamic", ("县区动态", "基层动态"), "xwzx/jcdt", 12, (2, 6), (1, 7)),
    ("dynamic", ("图片新闻", "图片新闻"), "xwzx/tpxw", 8, (3, 8), (1, 10)),
    ("dynamic", ("媒体关注", "媒体关注"), "xwzx/mtgz", 8, (3, 10), (1, 10)),
    ("notice", ("通知公告", "通知公告"), "zwgk/tzgg", 12, (5, 15), (1, 30)),
    ("policy", ("政策文件", "政策文件"), "zwgk/zcwj", 10, (10, 30), (5, 90)),
    ("interp", ("政策解读", "政策解读"), "zwgk/zcjd", 0, (0, 0), (0, 0)),
    ("personnel", ("人事信息", "人事信息"), "zwgk/rsxx", 5, (10, 40), (10, 60)),
    ("plan", ("规划计划", "规划计划"), "zwgk/ghjh", 4, (20, 60), (10, 60)),
    ("other", ("统计信息", "统计信息"), "zwgk/tjxx", 5, (10, 40), (10, 60)),
    ("other", ("财政资金", "财政资金"), "zwgk/czzj", 4, (10, 40), (10, 60)),
    ("other", ("建议提案办理", "建议提案办理"), "zwgk/jyta", 4, (10, 40), (10, 60)),
    ("other", ("应急管理", "应急管理"), "zwgk/yjgl", 4, (10, 40), (10, 60)),
    ("other", ("重大项目", "重大项目"), "zwgk/zdxm", 4, (10, 40), (10, 60)),
    ("other", ("专题专栏", "专题专栏"), "ztzl", 4, (10, 40), (10, 60)),
    ("board", ("咨询投诉", "在线咨询"), "hdjl/zxzx", 32, (2, 6), (1, 4)),
    ("mailbox", ("领导信箱", "局长信箱"), "hdjl/ldxx", 10, (5, 15), (2, 10)),
    ("survey", ("征集调查", "征集调查"), "hdjl/zjdc", 0, (0, 0), (0, 0)),
    ("service", ("办事指南", "办事指南"), "bsfw/bszn", 8, (5, 30), (20, 60)),
]
BLANKABLE = ("personnel", "plan", "other")
HOME_BLOCKS = ("xwzx/zwyw", "xwzx/gzdt", "zwgk/tzgg", "zwgk/zcwj")


@dataclass
class Message:
    submitter: str
    submit: str  # "2020-03-12 09:31:22"
    reply: str | None
    unit: str
    status: str
    question: str
    answer: str | None
    show_submit: bool = True
    show_reply: bool = True


@dataclass
class Item:
    aid: int
    title: str
    day: date  # the real publication date (meta PubDate, dated URLs)
    time: str
    source: str
    body: list[str] = field(default_factory=list)
    extra_html: str = ""
    shown_day: date | None = None  # the displayed date when it differs (fake dates)
    doc_no: str | None = None
    written: date | None = None
    partner: Item | None = None  # document <-> interpretation, survey -> result
    link_partner: bool = True
    message: Message | None = None
    survey: tuple[date, date] | None = None
    guide: dict[str, str] | None = None
    column: Column | None = None

    @property
    def display_day(self) -> date:
        return self.shown_day or self.day


@dataclass
class Column:
    cid: int
    role: str
    name: str
    slug: str
    items: list[Item] = field(default_factory=list)
    blank: bool = False

    def sorted_items(self) -> list[Item]:
        return sorted(self.items, key=lambda it: (it.display_day, it.time, it.aid), reverse=True)


@dataclass
class Site:
    plan: SitePlan
    columns: list[Column]
    home_extra: str = ""  # injected homepage markup (dark links, scripts, ads, mixed content)
    home_links: list[tuple[str, str]] = field(default_factory=list)  # friend links (title, url)
    article_links: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # aid -> extra links
    footer: dict[str, str | None] = field(default_factory=dict)
    has_meta: bool = True
    search: str = "ok"  # ok | missing | broken
    truth: list[dict] = field(default_factory=list)
    extra_home_nav: list[tuple[str, str]] = field(default_factory=list)
    external_404: list[str] = field(default_factory=list)  # paths on the external origin that 404

    def column(self, slug: str) -> Column | None:
        return next((c for c in self.columns if c.slug == slug), None)

    def all_items(self) -> list[Item]:
        return [it for c in self.columns for it in c.items]


class _Ids:
    def __init__(self, rng: random.Random):
        self.next = rng.randint(10000, 90000)

    def __call__(self) -> int:
        self.next += 1
        return self.next


def _time(rng: random.Random) -> str:
    return f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def _normal_submit_day(day: date) -> date:
    """Move a day back until it is Mon–Thu, not a holiday, and the next day is not a holiday."""
    while day.weekday() > 3 or day in HOLIDAYS or (day + timedelta(days=1)) in HOLIDAYS:
        day -= timedelta(days=1)
    return day


def make_site(plan: SitePlan, as_of: date, seed: int, external: str) -> Site:
    rng = random.Random(f"{seed}:content:{plan.index}")
    ids = _Ids(rng)
    portal = plan.category.is_portal or plan.org_short.endswith("政府")
    defects = set(plan.defects)
    area_full = plan.name.removesuffix("人民政府") if portal else plan.region
    used_titles: set[str] = set()

    def unique(make) -> str:
        for _ in range(8):
            title = make()
            if title not in used_titles:
                used_titles.add(title)
                return title
        title = f"{make()}（{len(used_titles)}）"
        used_titles.add(title)
        return title

    offsets: dict[str, int] = {}
    freeze = rng.randint(30, 60) if "freshness.homepage_stale" in defects else 0
    stale: dict[str, int] = {}
    if "freshness.column_stale:light" in defects:
        for slug in rng.sample(["xwzx/jcdt", "xwzx/tpxw", "xwzx/mtgz"], rng.randint(1, 2)):
            stale[slug] = rng.randint(30, 90)
    if "freshness.column_stale:heavy" in defects:
        for slug in ("xwzx/zwyw", "xwzx/jcdt", "xwzx/tpxw", "xwzx/mtgz"):
            stale[slug] = rng.randint(30, 90)
        for slug in ("zwgk/tzgg", "zwgk/zcwj"):
            stale[slug] = rng.randint(200, 400)
    blank_slugs: list[str] = []
    blankable = [spec[2] for spec in COLUMN_SPECS if spec[0] in BLANKABLE]
    if "freshness.column_blank:light" in defects:
        blank_slugs = rng.sample(blankable, rng.randint(1, 2))
    if "freshness.column_blank:heavy" in defects:
        blank_slugs = rng.sample(blankable, 6)

    cid = rng.randint(1, 9) * 1000 + rng.randint(0, 400)
    columns: list[Column] = []
    for role, names, slug, count, (lo, hi), (olo, ohi) in COLUMN_SPECS:
        if role in ("board", "mailbox") and "interaction.no_channel" in defects:
            continue
        if role == "service" and "service.missing" in defects:
            continue
        cid += rng.randint(1, 17)
        col = Column(cid, role, names[0] if portal else names[1], slug)
        columns.append(col)
        if slug in blank_slugs:
            col.blank = True
            continue
        offset = stale.get(slug, rng.randint(olo, ohi)) + freeze
        offsets[slug] = offset
        day = as_of - timedelta(days=offset)
        for _ in range(count):
            col.items.append(_item(rng, ids, plan, col, day, area_full, unique))
            day -= timedelta(days=rng.randint(lo, hi))
    site = Site(plan, columns)
    by_slug = {c.slug: c for c in columns}
    _documents(rng, ids, plan, by_slug, area_full)
    board = by_slug.get("hdjl/zxzx")
    if board:
        _messages(rng, plan, board, as_of, freeze)
    mailbox = by_slug.get("hdjl/ldxx")
    if mailbox:
        _messages(rng, plan, mailbox, as_of, freeze)
    _surveys(rng, ids, plan, by_slug["hdjl/zjdc"], as_of, area_full, unique)
    if "bsfw/bszn" in by_slug:
        _guides(rng, plan, by_slug["bsfw/bszn"])
    for col in columns:
        for it in col.items:
            it.column = col
    site.footer = {
        "site_code": plan.site_code,
        "icp": plan.icp,
        "psb": plan.psb,
        "conac": "yes",
        "sponsor": plan.sponsor,
        "jiucuo": "yes",
    }
    site.home_links = [
        ("中国政府网", f"{external}/www.gov.cn/"),
        (f"{plan.name[:2]}政务服务网", f"{external}/zwfw.gov.cn/{plan.site_code}/"),
        ("国家政务服务平台", f"{external}/gjzwfw.www.gov.cn/"),
    ]
    site.extra_home_nav = [
        ("网上信访", f"{external}/wsxf.gov.cn/"),
        ("纪检监察举报", f"{external}/12388.gov.cn/"),
    ]
    from govinspect.farm.defects import inject

    inject(site, rng, as_of, external, ids, freeze=freeze, stale=stale, blank_slugs=blank_slugs)
    return site


def _title_for(rng: random.Random, role: str, plan: SitePlan, area_full: str, day: date) -> str:
    org = plan.org_short
    slots = {"org": org, "area": area_full, "year": day.year}
    if role == "dynamic":
        return T.fill(rng.choice(T.MEETING_TITLES), rng, **slots)
    if role == "notice":
        return T.fill(rng.choice(T.NOTICE_TITLES), rng, **slots)
    if role == "personnel":
        return T.fill(rng.choice(T.PERSONNEL_TITLES), rng, **slots)
    if role == "plan":
        return T.fill(rng.choice(T.PLAN_TITLES), rng, **slots)
    return T.fill(rng.choice(T.GENERIC_TITLES), rng, **slots)


def _item(rng, ids, plan: SitePlan, col: Column, day: date, area_full: str, unique) -> Item:
    title = unique(lambda: _title_for(rng, col.role, plan, area_full, day))
    body = T.body_paragraphs(
        rng, org=plan.org_short, area_short=plan.area_short, day=day, count=rng.randint(3, 5)
    )
    return Item(ids(), title, day, _time(rng), plan.sponsor, body)


def _documents(rng, ids, plan: SitePlan, by_slug: dict[str, Column], area_full: str) -> None:
    docs = by_slug["zwgk/zcwj"]
    interp = by_slug["zwgk/zcjd"]
    combos = [(t, k) for t in T.TOPICS for k in T.DOC_KINDS]
    rng.shuffle(combos)
    numbers: dict[int, int] = {}
    for i, it in enumerate(sorted(docs.items, key=lambda x: x.day)):
        topic, kind = combos[i]
        inner = f"{area_full}{topic.strip('“”')}{kind}"
        numbers[it.day.year] = numbers.get(it.day.year, 0) + rng.randint(1, 4)
        it.title = f"{plan.sponsor}关于印发《{inner}》的通知"
        it.doc_no = f"{plan.doc_prefix}〔{it.day.year}〕{numbers[it.day.year]}号"
        it.written = it.day - timedelta(days=rng.randint(1, 5))
        it.body = [
            "各有关单位：",
            f"现将《{inner}》印发给你们，请结合实际认真贯彻执行。",
            *T.body_paragraphs(rng, org=plan.org_short, area_short=plan.area_short, day=it.day, count=3),
        ]
        iday = it.day + timedelta(days=rng.randint(0, 3))
        ititle = rng.choice((f"《{inner}》政策解读", f"一图读懂《{inner}》", f"关于《{inner}》的解读"))
        ibody = [
            f"近日，{plan.sponsor}印发了《{inner}》（{it.doc_no}）。现就有关内容解读如下。",
            "一、出台背景。"
            + T.body_paragraphs(rng, org=plan.org_short, area_short=plan.area_short, day=iday, count=1)[0],
            "二、主要内容。文件明确了工作目标、重点任务和保障措施。",
        ]
        if not docs.blank and not interp.blank:
            ip = Item(ids(), ititle, iday, _time(rng), plan.sponsor, ibody, partner=it)
            it.partner = ip
            interp.items.append(ip)


def _messages(rng, plan: SitePlan, col: Column, as_of: date, freeze: int) -> None:
    day = as_of - timedelta(days=rng.randint(1, 4) + freeze)
    for it in col.items:
        submit_day = _normal_submit_day(day)
        reply_day = submit_day + timedelta(days=rng.choice((0, 1)))
        issue = rng.choice(T.MESSAGE_ISSUES)
        it.title = f"关于{issue}的{rng.choice(('咨询', '问题', '建议', '反映'))}"
        it.day = submit_day
        q = f"您好！我想反映{issue}的情况，希望有关部门尽快处理。联系电话{T.masked_mobile(rng)}。"
        it.message = Message(
            submitter=T.masked_name(rng),
            submit=f"{submit_day} {it.time}",
            reply=f"{reply_day} {rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            unit=plan.sponsor if rng.random() < 0.5 else f"{plan.region}相关部门",
            status="已回复",
            question=q,
            answer=rng.choice(T.REPLY_TEXTS),
        )
        it.body = []
        day = submit_day - timedelta(days=rng.randint(2, 6))


def _surveys(rng, ids, plan: SitePlan, col: Column, as_of: date, area_full: str, unique) -> None:
    spans = [(-10, 20), (-33, -3), (-70, -40), (-150, -110), (-260, -200)]
    for start_off, end_off in spans:
        start, end = as_of + timedelta(days=start_off), as_of + timedelta(days=end_off)
        topic = rng.choice(T.TOPICS)
        title = unique(
            lambda topic=topic, start=start: rng.choice(
                (
                    f"关于《{area_full}{topic.strip('“”')}管理办法（征求意见稿）》公开征求意见的公告",
                    f"{start.year}年{topic.strip('“”')}网上问卷调查",
                    f"关于{topic.strip('“”')}工作意见建议征集的公告",
                )
            )
        )
        body = [
            f"为广泛听取社会各界意见，现就{topic.strip('“”')}有关事项公开征集意见建议。",
            f"征集时间：{T.cn_date(start)}至{T.cn_date(end)}。",
            f"意见建议可通过电子邮件或信函方式反馈至{plan.sponsor}。",
        ]
        survey = Item(ids(), title, start, _time(rng), plan.sponsor, body, survey=(start, end))
        col.items.append(survey)
        if end <= as_of - timedelta(days=7):
            rday = end + timedelta(days=rng.randint(2, 6))
            result = Item(
                ids(),
                f"{title.removesuffix('的公告')}结果反馈",
                rday,
                _time(rng),
                plan.sponsor,
                [
                    f"{T.cn_date(start)}至{T.cn_date(end)}，共收到意见建议{rng.randint(3, 40)}条，已逐条研究并吸纳合理意见。"
                ],
                partner=survey,
            )
            survey.partner = result
            col.items.append(result)


def _guides(rng, plan: SitePlan, col: Column) -> None:
    names = rng.sample(T.SERVICE_ITEMS, len(col.items))
    for it, name in zip(col.items, names, strict=True):
        it.title = f"{name}办事指南"
        it.guide = {
            "事项名称": name,
            "设定依据": f"《中华人民共和国行政许可法》及{plan.region}相关规定",
            "申请条件": "申请人符合法律法规规定的条件，材料齐全、符合法定形式。",
            "办理材料": "1.申请表；2.申请人身份证明；3.其他相关证明材料。",
            "办理地点": f"{plan.region}政务服务中心{rng.randint(1, 3)}楼{rng.randint(1, 40)}号窗口",
            "办理机构": plan.sponsor,
            "收费标准": "不收费",
            "办理时间": "工作日上午9:00-12:00，下午13:30-17:00",
            "联系电话": plan.phone,
            "办理流程": "申请—受理—审查—决定—送达",
        }
        it.body = []
