"""Registries and stored results with the counts of real circulars, written straight into a store; message
boards as stored site models; new-media account records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from govinspect.extract.model import Interaction, Message
from govinspect.reports.records import AccountRecord
from govinspect.store import Store
from govinspect.store.models import Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult


@dataclass
class Region:
    name: str
    prefix: str  # the first four digits of its site codes
    counts: dict[str, int]  # category -> running sites
    checked: int
    failing: list[tuple[str, str, str, str]] = field(default_factory=list)  # (code, name, category, veto)


# Jiangxi 2020Q1, attachment 1: 538 running sites in 12 groups, 378 checked, 4 with problems (98.94%).
JIANGXI = [
    Region("省本级", "3600", {"省级门户": 1, "省级部门": 51}, 32),
    Region(
        "南昌市",
        "3601",
        {"市级门户": 1, "市级部门": 44, "县级门户": 9, "县级以下": 1},
        38,
        [("3601000019", "南昌市住房保障和房产管理局", "市级部门", "栏目不更新")],
    ),
    Region("九江市", "3604", {"市级门户": 1, "市级部门": 40, "县级门户": 13}, 36),
    Region("景德镇市", "3602", {"市级门户": 1, "市级部门": 34, "县级门户": 4}, 32),
    Region("萍乡市", "3603", {"市级门户": 1, "市级部门": 35, "县级门户": 5}, 28),
    Region("新余市", "3605", {"市级门户": 1, "市级部门": 35, "县级门户": 2}, 26),
    Region("鹰潭市", "3606", {"市级门户": 1, "市级部门": 33, "县级门户": 3}, 27),
    Region("赣州市", "3607", {"市级门户": 1, "市级部门": 41, "县级门户": 18, "县级以下": 4}, 44),
    Region("宜春市", "3609", {"市级门户": 1, "市级部门": 34, "县级门户": 10, "其他": 2}, 32),
    Region(
        "上饶市",
        "3611",
        {"市级门户": 1, "市级部门": 9, "县级门户": 12},
        15,
        [
            ("3611000003", "上饶市住房和城乡建设局门户网", "市级部门", "栏目不更新"),
            ("3611000058", "上饶市生态环境局", "市级部门", "站点无法访问"),
            ("3611280006", "鄱阳政府门户网", "县级门户", "互动回应差"),
        ],
    ),
    Region("吉安市", "3608", {"市级门户": 1, "市级部门": 33, "县级门户": 13}, 36),
    Region("抚州市", "3610", {"市级门户": 1, "市级部门": 30, "县级门户": 11}, 32),
]
ORDER = [
    "省级门户",
    "省级部门",
    "市级门户",
    "县级门户",
    "市级部门",
    "县级以下",
    "其他",
]  # who is checked first


def populate(
    store: Store,
    regions: list[Region],
    *,
    period: str = "2020Q1",
    as_of: date = date(2020, 3, 31),
    scores: dict[str, float] | None = None,
    deductions: dict[str, list[str]] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, int]:
    """Sites, units and one finished run; returns site ids by code. ``scores`` and ``deductions`` (check ids)
    by site code; every other passing site scores 90. Rows are added together and flushed twice (sites, then
    results): a flush per site made the Jiangxi store take seconds."""
    scores = scores or {}
    deductions = deductions or {}
    names = names or {}
    with store.session() as session:
        run = Run(kind="inspect", period=period, as_of=as_of, profile="jiangxi", status="finished")
        session.add(run)
        planned: list[tuple[Site, str | None, bool]] = []  # site, veto, checked
        for region in regions:
            special = {code: (name, cat, veto) for code, name, cat, veto in region.failing}
            sites: list[tuple[str, str, str, str | None]] = []  # code, name, category, veto
            taken = {code for code in special}
            seq = 0
            for category in ORDER:
                wanted = region.counts.get(category, 0)
                mine = [(c, n, cat, v) for c, (n, cat, v) in special.items() if cat == category]
                sites += mine
                for _ in range(wanted - len(mine)):
                    seq += 1
                    code = f"{region.prefix}00{seq:04d}"
                    while code in taken:
                        seq += 1
                        code = f"{region.prefix}00{seq:04d}"
                    taken.add(code)
                    sites.append((code, names.get(code, f"{region.name}{category}网站{seq}"), category, None))
            # the failing sites are checked first, then the rest in ORDER
            sites.sort(key=lambda s: (s[3] is None, ORDER.index(s[2])))
            for position, (code, name, category, veto) in enumerate(sites):
                site = Site(
                    site_code=code,
                    name=name,
                    url=f"http://{code}.example.gov.cn/",
                    unit=Unit(name=f"{name}主办单位"),
                    region=region.name,
                    category=category,
                )
                planned.append((site, veto, position < region.checked))
        session.add_all([site for site, _, _ in planned])
        session.flush()
        for site, veto, checked in planned:
            if not checked:
                continue
            code = site.site_code
            result = SiteResult(
                run=run,
                site_id=site.id,
                site_code=code,
                verdict="不合格" if veto else "合格",
                score=None if veto else scores.get(code, 90.0),
                vetoes=[veto] if veto else [],
            )
            for check in deductions.get(code, []):
                result.findings.append(
                    FindingRow(
                        check=check,
                        severity="deduction",
                        raw_severity="deduction",
                        url=site.url,
                        message="",
                        evidence={},
                    )
                )
            session.add(result)
        return {site.site_code: site.id for site, _, _ in planned}


def add_run(
    store: Store,
    period: str,
    checked: list[str],
    failing: dict[str, str],
    *,
    as_of: date,
    models: dict[str, dict] | None = None,
) -> int:
    """One more finished run over sites already in the store: ``checked`` site codes pass (score 90) unless
    ``failing`` gives their veto; ``models`` (stored model JSON) by code. Returns the run id."""
    models = models or {}
    with store.session() as session:
        ids = {code: id_ for code, id_ in session.execute(select(Site.site_code, Site.id))}
        run = Run(kind="inspect", period=period, as_of=as_of, profile="jiangxi", status="finished")
        session.add(run)
        for code in dict.fromkeys([*checked, *failing]):
            veto = failing.get(code)
            session.add(
                SiteResult(
                    run=run,
                    site_id=ids[code],
                    site_code=code,
                    verdict="不合格" if veto else "合格",
                    score=None if veto else 90.0,
                    vetoes=[veto] if veto else [],
                    model=models.get(code, {}),
                )
            )
        session.flush()
        return run.id


def checked_codes(store: Store, period: str) -> list[str]:
    """The site codes with a result in ``period``, in code order."""
    with store.session() as session:
        rows = session.execute(
            select(SiteResult.site_code).join(Run, SiteResult.run_id == Run.id).where(Run.period == period)
        )
        return sorted({code for (code,) in rows})


def board_model(*messages: tuple[datetime | None, datetime | None, str]) -> dict:
    """A stored site model (JSON) whose message board holds ``(submitted, replied, state)`` messages; the
    report reads only its ``interaction`` part."""
    interaction = Interaction(
        judged=True,
        messages=tuple(
            Message(
                url=f"http://example.gov.cn/msg/{i}", title=f"留言{i}", submitted=s, replied=r, state=state
            )
            for i, (s, r, state) in enumerate(messages, start=1)
        ),
    )
    data = json.loads(json.dumps(asdict(interaction), default=lambda v: v.isoformat()))
    return {"version": 1, "interaction": data}


def set_models(store: Store, models: dict[str, dict], period: str = "2020Q1") -> None:
    """Store site models on the results of ``period`` by site code."""
    with store.session() as session:
        results = session.scalars(
            select(SiteResult)
            .join(Run, SiteResult.run_id == Run.id)
            .where(Run.period == period, SiteResult.site_code.in_(list(models)))
        )
        for result in results:
            result.model = models[result.site_code]


# Accounts (new media): the store has no account results yet, so reports take them as records in the Source.
def account_records(
    region: str,
    *,
    running: int,
    checked: int,
    failing: Sequence[tuple[str, str, str, tuple[str, ...]]] = (),
    failed: int | None = None,
    unit: str | None = None,
    platform: str = "微信公众号",
) -> list[AccountRecord]:
    """``running`` accounts of one region: the ``failing`` ones (unit or place, platform, name, vetoes) first,
    then generic failures up to ``failed``, then passing checked ones, then unchecked ones."""
    records = [
        AccountRecord(p, f"{region}-{i}", name, region, u, checked=True, verdict="不合格", vetoes=vetoes)
        for i, (u, p, name, vetoes) in enumerate(failing)
    ]
    for i in range(len(records), running):
        is_checked = i < checked
        fails = is_checked and i < (failed if failed is not None else len(failing))
        records.append(
            AccountRecord(
                platform,
                f"{region}-{i}",
                f"{region}政务新媒体{i}",
                region,
                unit or f"{region}单位{i}",
                checked=is_checked,
                verdict=("不合格" if fails else "合格") if is_checked else None,
                vetoes=("未及时更新",) if fails else (),
                score=None if fails or not is_checked else 90.0,
            )
        )
    return records


# Jiangxi 2020Q1, attachment 4: the accounts with problems (所属地方或部门, 类型, 名称, 问题). The circular lists 57
# rows but prints 84.27% of 356, which is 56 failures: the first 56 rows are kept, the report's numbers agree.
_A, _B, _C = ("缺有效互动渠道菜单功能",), ("存在严重表述错误",), ("未及时更新",)
_D = ("未及时更新", "缺有效互动渠道菜单功能")
_SHANGRAO = [
    ("上饶大数据", _A), ("上饶统计", _A), ("上饶人社", _A), ("上饶商务", _A), ("上饶微供销", _A), ("上饶公路", _A),
    ("上饶市自然资源局", _A), ("上饶环保", _A), ("信州发改", _A), ("信州教育", _A), ("信州区工信局", _A),
    ("信州民政", _A), ("信州区财政局", _A), ("信州人社", _A), ("信州住建", _C), ("信州交通", _A), ("信州商务", _A),
    ("信州文旅", _A), ("健康信州", _A), ("上饶市信州区退役军人事务局", _A), ("信州应急管理", _A),
    ("上饶市信州区市场监督管理局", _A), ("广丰区气象", _A), ("广丰医保之窗", _A), ("广丰教育", _A),
    ("广丰财政", _A), ("健康广丰", _A), ("广丰公安", _A), ("广丰公安交警", _A), ("广丰人社", _A), ("玉山之窗", _A),
    ("简政铅山", _A), ("铅山县虹桥乡", _D), ("铅山县现代农业示范园区管理委员会", _A), ("铅山县城管局", _D),
    ("铅山县发展和改革委员会", _D), ("铅山扶贫", _A), ("铅山县工业园区", _D), ("铅山公安", _A), ("智慧铅山", _D),
    ("铅山环保", _D), ("铅山县民政", _D), ("铅山农业", _D), ("铅山人社", _A), ("铅山司法", _A), ("健康铅山", _A),
]  # fmt: skip
JIANGXI_PROVINCIAL_ACCOUNTS = [
    ("有色地质勘查局", "微信公众号", "江西有色地质勘查局", _A),
    ("省审计厅", "微信公众号", "江西审计", _B),
    ("省教育厅", "微信公众号", "江西省教育厅", _B),
    ("省自然资源厅", "微博", "江西自然资源发布", _B),
]


def jiangxi_accounts() -> list[AccountRecord]:
    """1308 running accounts, 356 checked (60 provincial), 56 with problems: 84.27%."""
    wechat = "微信公众号"
    return [
        *account_records(
            "省本级", running=94, checked=60, failing=JIANGXI_PROVINCIAL_ACCOUNTS, unit="省直单位"
        ),
        *account_records(
            "南昌市",
            running=120,
            checked=40,
            failing=[("", wechat, "南昌环保", _B), ("", wechat, "南昌市行政审批局", _C)],
        ),
        *account_records("鹰潭市", running=60, checked=20, failing=[("", wechat, "贵溪报", _A)]),
        *account_records("吉安市", running=80, checked=25, failing=[("", wechat, "文旅吉安", _A)]),
        *account_records(
            "抚州市",
            running=70,
            checked=20,
            failing=[("", wechat, "抚州人防", _C), ("", wechat, "抚州市人力资源和社会保障局", _B)],
        ),
        *account_records(
            "上饶市", running=200, checked=80, failing=[("", wechat, n, v) for n, v in _SHANGRAO]
        ),
        *account_records("九江市", running=684, checked=111),
    ]


JIANGXI_FAILING = ("3601000019", "3611000003", "3611000058", "3611280006")
JIANGXI_SCORES = {"3604000001": 115.0, "3601000001": 105.0, "3610000001": 100.0}
JIANGXI_DEDUCTIONS = {"3604000002": ["links.broken"], "3605000002": ["links.broken", "content.typo"]}


def jiangxi_history(store: Store) -> dict[str, list[str]]:
    """Jiangxi 2020Q1 with the periods before it: 2019Q1 (335 checked, 8 failed: 97.61%, so 同比 +1.33 points as
    the circular prints) and 2019Q4 (380 checked, 6 failed: 98.42%); of 2019Q4's six failures two fail again,
    three now pass and one was not checked this quarter. Two portals' message boards are stored."""
    populate(store, JIANGXI, scores=JIANGXI_SCORES, deductions=JIANGXI_DEDUCTIONS)
    now = checked_codes(store, "2020Q1")
    passing = [c for c in now if c not in JIANGXI_FAILING]
    with store.session() as session:
        unchecked = sorted(set(session.scalars(select(Site.site_code))) - set(now))
    add_run(
        store, "2019Q1", passing[:327], {c: "栏目不更新" for c in passing[327:335]}, as_of=date(2019, 3, 31)
    )
    q4_failing = {
        "3601000019": "栏目不更新",
        "3611000003": "栏目不更新",
        passing[0]: "首页不更新",
        passing[1]: "站点无法访问",
        passing[2]: "互动回应差",
        unchecked[0]: "栏目不更新",
    }
    add_run(store, "2019Q4", passing[3:] + unchecked[1:4], q4_failing, as_of=date(2019, 12, 31))
    set_models(store, JIANGXI_BOARDS)
    return {"now": now, "q4_failing": list(q4_failing), "unchecked": unchecked}


# Message boards, 2020Q1 window (2020-01-01 .. 2020-03-31): the day of receipt is not counted, holidays skipped.
JIANGXI_BOARDS = {
    # 南昌 portal: 3 received in the window (2 answered in 3 and 5 working days), one of 2019, one invalid
    "3601000001": board_model(
        (datetime(2020, 3, 2, 9), datetime(2020, 3, 5, 10), "answered"),
        (datetime(2020, 3, 6, 9), datetime(2020, 3, 13, 10), "answered"),
        (datetime(2020, 3, 20, 9), None, "pending"),
        (datetime(2019, 12, 20, 9), datetime(2019, 12, 23, 9), "answered"),
        (datetime(2020, 3, 10, 9), None, "invalid"),
    ),
    # 九江 portal: answered in 2 working days; one answered after the window (not an answer yet)
    "3604000001": board_model(
        (datetime(2020, 2, 28, 9), datetime(2020, 3, 3, 9), "answered"),
        (datetime(2020, 3, 30, 9), datetime(2020, 4, 7, 9), "answered"),
    ),
}
