"""Registries and stored results with the counts of real circulars, written straight into a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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
