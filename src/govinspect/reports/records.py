"""The plain records a circular's figures are computed from, beside the site records of figures.py: rates,
new-media accounts, message-handling statistics, compared periods and the re-check of last period's failures.

Pure data (no I/O, no imports of the figures), so the loaders in messages.py and figures.py can share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from govinspect.scoring.rates import percent, percent_text

PASS = "合格"
FAIL = "不合格"
# An account's region naming the province itself (or left at the provincial level): its place is its unit.
PROVINCIAL_REGIONS = frozenset({"省本级", "省直", "省级", "省直部门", "省直单位"})
# 类型 as the circulars print it (Jiangxi attachment 4: 微信, 新浪微博); other platforms keep the registry's name.
PLATFORM_TEXT = {"微信公众号": "微信", "客户端APP": "移动客户端"}


@dataclass(frozen=True, slots=True)
class Rate:
    label: str
    total: int  # running sites (accounts) of the group
    checked: int
    failed: int

    @property
    def passed(self) -> int:
        return self.checked - self.failed

    @property
    def text(self) -> str:
        return percent_text(self.passed, self.checked)

    @property
    def value(self) -> Decimal | None:
        """The rate as printed (two decimals): differences are taken between printed rates, so a reader who
        subtracts the two numbers of the text gets the printed difference."""
        return percent(self.passed, self.checked)

    @property
    def all_checked(self) -> bool:
        return self.total > 0 and self.checked >= self.total


@dataclass(frozen=True, slots=True)
class MessageStats:
    """受理, 办结, 办结率, 办结平均时长(工作日) of one site's message board (or of all of them) over the
    statistics window; ``timed`` answered messages had both times shown and a calendar for their years."""

    received: int
    answered: int
    timed: int = 0
    mean_days: float | None = None

    @property
    def rate_text(self) -> str:
        return percent_text(self.answered, self.received)

    @property
    def mean_text(self) -> str:
        return "—" if self.mean_days is None else f"{self.mean_days:.1f}"


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One registered new-media account, with its result when it was checked (政务新媒体)."""

    platform: str
    account_id: str
    name: str
    region: str
    unit: str
    running: bool = True
    checked: bool = False
    verdict: str | None = None
    score: float | None = None
    vetoes: tuple[str, ...] = ()

    @property
    def provincial(self) -> bool:
        region = self.region.strip()
        return region in PROVINCIAL_REGIONS or region.endswith(("省", "自治区")) or not region

    @property
    def place(self) -> str:
        """所属地方或部门: the unit for a provincial account (省审计厅), the region otherwise (鹰潭市)."""
        return self.unit if self.provincial else self.region

    @property
    def kind(self) -> str:
        return PLATFORM_TEXT.get(self.platform, self.platform)

    @property
    def problem_text(self) -> str:
        """存在的突出问题 as Jiangxi prints it: 单项否决（未及时更新）."""
        if self.vetoes:
            return f"单项否决（{'、'.join(self.vetoes)}）"
        if self.score is not None:
            return f"得分低于合格线（{self.score:g}分）"
        return FAIL


@dataclass(frozen=True, slots=True)
class ProblemAccount:
    """One row of attachment 4 (检查发现突出问题的政务新媒体名单)."""

    index: int
    place: str
    kind: str
    name: str
    problems: str
    account_id: str


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One row of the message-handling table: a checked site whose board had messages in the window."""

    index: int
    place: str
    name: str
    site_code: str
    stats: MessageStats


@dataclass(frozen=True, slots=True)
class Compared:
    """A period the report compares itself with (--compare-to): 环比 the period before, 同比 a year before."""

    period: str
    label: str  # 2019年第四季度
    relation: str  # 环比 | 同比 | "" (another period: “与…相比”)
    sites: Rate
    accounts: Rate | None = None


@dataclass(frozen=True, slots=True)
class Recheck:
    """复查: last period's failed sites, which of them were checked again now, and which of those now pass."""

    period: str
    label: str
    failed_before: tuple[str, ...]  # site codes, in report order
    rechecked: tuple[str, ...]
    passed: tuple[str, ...]
    still_failing: tuple[str, ...]  # names of the re-checked sites that fail again

    @property
    def not_rechecked(self) -> int:
        return len(self.failed_before) - len(self.rechecked)


def change_text(now: Rate, before: Rate) -> str:
    """上升1.33个百分点 / 下降3.82个百分点 / 持平: the difference of the two printed rates."""
    if now.value is None or before.value is None:
        return ""
    delta = now.value - before.value
    if delta == 0:
        return "持平"
    return f"{'上升' if delta > 0 else '下降'}{abs(delta)}个百分点"
