"""The registry's vocabulary and its validated records (pure data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SiteCategory(StrEnum):
    """The site types of a circular's attachment table (Jiangxi attachment 1), in its column order."""

    PROVINCIAL_PORTAL = "省级门户"
    PROVINCIAL_DEPARTMENT = "省级部门"
    CITY_PORTAL = "市级门户"
    CITY_DEPARTMENT = "市级部门"
    COUNTY_PORTAL = "县级门户"
    BELOW_COUNTY = "县级以下"
    OTHER = "其他"

    @property
    def is_portal(self) -> bool:
        return self in {SiteCategory.PROVINCIAL_PORTAL, SiteCategory.CITY_PORTAL, SiteCategory.COUNTY_PORTAL}


class RunStatus(StrEnum):
    RUNNING = "运行"
    CLOSED = "关停"
    OFFLINE = "下线"


class Platform(StrEnum):
    WECHAT = "微信公众号"
    WEIBO = "微博"
    DOUYIN = "抖音"
    TOUTIAO = "今日头条"
    KUAISHOU = "快手"
    APP = "客户端APP"
    MINIPROGRAM = "小程序"
    OTHER = "其他"


@dataclass(frozen=True, slots=True)
class SiteRecord:
    site_code: str
    name: str
    url: str
    sponsor: str
    region: str
    category: SiteCategory
    status: RunStatus = RunStatus.RUNNING
    icp: str | None = None
    psb: str | None = None
    division_code: str | None = None
    has_services: bool | None = (
        None  # None: not stated (a new site has services; an existing one keeps its value)
    )

    @property
    def key(self) -> str:
        return self.site_code


@dataclass(frozen=True, slots=True)
class AccountRecord:
    platform: Platform
    account_name: str
    account_id: str
    sponsor: str
    region: str
    status: RunStatus = RunStatus.RUNNING
    registered: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform.value, self.account_id)
