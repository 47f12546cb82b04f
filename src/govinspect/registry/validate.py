"""From a registry table to validated records: header mapping, kind detection and row rules (pure functions).

A table is a sites registry or an accounts registry, told apart by its headers. Every bad cell gives one RowError
(a row can have several); a row with any error gives no record. Problems with the file as a whole (not a registry,
required columns missing, two columns meaning the same) raise RegistryHeaderError, a RegistryFileError.

Header matching ignores case, spaces, full-width/half-width differences, a “*” marking a required column and a
trailing “（必填）”/“（选填）”. The accepted variants are listed in SITE_COLUMNS / ACCOUNT_COLUMNS; they are kept
conservative on purpose: 主管单位 is not 主办单位, and a bare 名称 or 账号 is not accepted.

Value synonyms (CATEGORY_SYNONYMS, STATUS_SYNONYMS, PLATFORM_SYNONYMS, REGISTERED_VALUES) are likewise explicit
tables: a value is mapped only when the mapping is unambiguous, and nothing is guessed silently (a URL without
“http://” is an error that suggests the fix, not a URL we complete).
"""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from govinspect.registry import identifiers, regions
from govinspect.registry.model import AccountRecord, Platform, RunStatus, SiteCategory, SiteRecord
from govinspect.registry.tabular import RegistryFileError, Table, read_table, write_table

Kind = Literal["sites", "accounts"]

# ---------------------------------------------------------------------------------------------------------------
# columns

SITE_HEADERS: tuple[str, ...] = (
    "网站标识码", "网站名称", "首页网址", "主办单位", "所属地区", "类别", "运行状态", "ICP备案号", "公安备案号",
)  # fmt: skip
DIVISION_HEADER = "区划代码"  # optional on import; written by write_sites so an explicit division survives
SERVICES_HEADER = (
    "对外服务"  # optional: 否 for a department without external services (scored out of 75, ×4/3)
)
SITE_EXPORT_HEADERS: tuple[str, ...] = (*SITE_HEADERS, DIVISION_HEADER, SERVICES_HEADER)
ACCOUNT_HEADERS: tuple[str, ...] = (
    "平台",
    "账号名称",
    "账号ID",
    "主办单位",
    "所属地区",
    "运行状态",
    "是否备案",
)

# field -> (canonical Chinese header, accepted variants besides the canonical header and the field name)
SITE_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "site_code": ("网站标识码", ("标识码", "sitecode")),
    "name": ("网站名称", ("sitename", "site_name")),
    "url": ("首页网址", ("网站地址", "网址", "网站网址", "首页地址", "首页url", "homepage")),
    "sponsor": ("主办单位", ()),
    "region": ("所属地区", ("地区",)),
    "category": ("类别", ("网站类别", "网站类型")),
    "status": ("运行状态", ("状态",)),
    "icp": ("ICP备案号", ("ICP备案编号",)),
    "psb": ("公安备案号", ("公安机关备案号", "公安备案编号", "公网安备号")),
    "division_code": (DIVISION_HEADER, ("行政区划代码",)),
    "has_services": (SERVICES_HEADER, ("有无对外服务", "是否有对外服务", "有对外服务")),
}
ACCOUNT_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "platform": ("平台", ("平台类型", "所属平台")),
    "account_name": ("账号名称", ("帐号名称",)),
    "account_id": ("账号ID", ("帐号ID", "账号标识", "帐号标识")),
    "sponsor": ("主办单位", ()),
    "region": ("所属地区", ("地区",)),
    "status": ("运行状态", ("状态",)),
    "registered": ("是否备案", ()),
}

SITE_REQUIRED = ("site_code", "name", "url", "sponsor", "region", "category")
ACCOUNT_REQUIRED = ("platform", "account_name", "account_id", "sponsor", "region")
_SHARED = {"sponsor", "region", "status"}

# ---------------------------------------------------------------------------------------------------------------
# values

CATEGORY_SYNONYMS: dict[str, SiteCategory] = {
    "省级政府门户网站": SiteCategory.PROVINCIAL_PORTAL,
    "省级门户网站": SiteCategory.PROVINCIAL_PORTAL,
    "省政府门户网站": SiteCategory.PROVINCIAL_PORTAL,
    "省级政府部门网站": SiteCategory.PROVINCIAL_DEPARTMENT,
    "省级部门网站": SiteCategory.PROVINCIAL_DEPARTMENT,
    "省直部门网站": SiteCategory.PROVINCIAL_DEPARTMENT,
    "市级政府门户网站": SiteCategory.CITY_PORTAL,
    "市级门户网站": SiteCategory.CITY_PORTAL,
    "市政府门户网站": SiteCategory.CITY_PORTAL,
    "市级政府部门网站": SiteCategory.CITY_DEPARTMENT,
    "市级部门网站": SiteCategory.CITY_DEPARTMENT,
    "市直部门网站": SiteCategory.CITY_DEPARTMENT,
    "县级政府门户网站": SiteCategory.COUNTY_PORTAL,
    "县级门户网站": SiteCategory.COUNTY_PORTAL,
    "县政府门户网站": SiteCategory.COUNTY_PORTAL,
    "县级以下政府网站": SiteCategory.BELOW_COUNTY,
    "县级以下网站": SiteCategory.BELOW_COUNTY,
    "其它": SiteCategory.OTHER,
}
STATUS_SYNONYMS: dict[str, RunStatus] = {
    "正常运行": RunStatus.RUNNING,
    "运行中": RunStatus.RUNNING,
    "正常": RunStatus.RUNNING,
    "已关停": RunStatus.CLOSED,
    "已下线": RunStatus.OFFLINE,
}
PLATFORM_SYNONYMS: dict[str, Platform] = {
    "微信": Platform.WECHAT,
    "公众号": Platform.WECHAT,
    "微信公众平台": Platform.WECHAT,
    "wechat": Platform.WECHAT,
    "新浪微博": Platform.WEIBO,
    "weibo": Platform.WEIBO,
    "douyin": Platform.DOUYIN,
    "头条号": Platform.TOUTIAO,
    "头条": Platform.TOUTIAO,
    "toutiao": Platform.TOUTIAO,
    "kuaishou": Platform.KUAISHOU,
    "app": Platform.APP,
    "客户端": Platform.APP,
    "移动客户端": Platform.APP,
    "移动app": Platform.APP,
    "微信小程序": Platform.MINIPROGRAM,
    "其它": Platform.OTHER,
}
REGISTERED_VALUES: dict[str, bool] = {
    "是": True,
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "已备案": True,
    "否": False,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
    "未备案": False,
}
SERVICES_VALUES: dict[str, bool] = {
    "是": True, "有": True, "y": True, "yes": True, "true": True, "1": True,
    "否": False, "无": False, "n": False, "no": False, "false": False, "0": False, "无对外服务": False,
}  # fmt: skip  # fmt: skip

MAX_LENGTHS: dict[str, int] = {
    "site_code": 10,
    "name": 200,
    "url": 2048,
    "sponsor": 200,
    "region": 100,
    "icp": 64,
    "psb": 64,
    "division_code": 6,
    "account_name": 200,
    "account_id": 200,
}

# ---------------------------------------------------------------------------------------------------------------
# results


class RegistryHeaderError(RegistryFileError):
    """The header row does not make a sites or an accounts registry."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        *,
        kind: Kind | None = None,
        missing: Sequence[str] = (),
    ) -> None:
        super().__init__(path, reason)
        self.kind = kind
        self.missing = list(missing)  # canonical Chinese headers of the required columns not found


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it
    column: str  # the column's header as written in the file
    value: str
    reason: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:60] + "…"
        value = f"（值：“{shown}”）" if self.value else ""
        return f"第{self.row}行“{self.column}”列：{self.reason}{value}"


@dataclass(frozen=True, slots=True)
class Validated:
    kind: Kind
    records: list[SiteRecord] | list[AccountRecord]
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written in the file
    ignored_columns: list[str] = field(default_factory=list)  # headers that mean nothing to the registry

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------------------------
# headers


def normalise_header(text: str) -> str:
    """The form headers are compared in: NFKC, lower case, no spaces, no “*” and no “（必填）”/“（选填）”."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\((?:必填|选填|可选|必填项|选填项)\)$", "", text)
    return text.strip("*※").replace("-", "_")


def _index(columns: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, (canonical, variants) in columns.items():
        for text in (canonical, name, *variants):
            index[normalise_header(text)] = name
    return index


_SITE_INDEX = _index(SITE_COLUMNS)
_ACCOUNT_INDEX = _index(ACCOUNT_COLUMNS)


def _map(headers: Iterable[str], index: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for header in headers:
        name = index.get(normalise_header(header)) if header else None
        if name is not None:
            found.setdefault(name, []).append(header)
    return found


def is_registry_header(cells: Sequence[str]) -> bool:
    """Whether a row reads as a registry header: three or more recognised columns of one kind.

    For ``read_table(path, header_predicate=is_registry_header)``, which then skips title rows above the header.
    """
    return max(len(_map(cells, _SITE_INDEX)), len(_map(cells, _ACCOUNT_INDEX))) >= 3


def detect_kind(headers: Sequence[str], path: str | os.PathLike[str] = "") -> tuple[Kind, dict[str, str]]:
    """The registry kind a header row makes, and field -> header as written; RegistryHeaderError otherwise."""
    sites = _map(headers, _SITE_INDEX)
    accounts = _map(headers, _ACCOUNT_INDEX)
    site_specific = set(sites) - _SHARED
    account_specific = set(accounts) - _SHARED
    site_missing = [n for n in SITE_REQUIRED if n not in sites]
    account_missing = [n for n in ACCOUNT_REQUIRED if n not in accounts]

    kind: Kind
    if site_specific and not account_specific:
        kind = "sites"
    elif account_specific and not site_specific:
        kind = "accounts"
    elif site_specific and account_specific:
        if not site_missing and account_missing:
            kind = "sites"
        elif not account_missing and site_missing:
            kind = "accounts"
        else:
            raise RegistryHeaderError(
                path,
                "表头同时含有网站名录和新媒体账号名录的列，无法判断是哪一种名录，请分成两个文件导入",
            )
    else:
        shown = "、".join(h for h in headers if h) or "（空）"
        raise RegistryHeaderError(
            path,
            "无法识别为网站名录或新媒体账号名录。"
            f"网站名录的表头应为：{'、'.join(SITE_HEADERS)}；"
            f"新媒体账号名录的表头应为：{'、'.join(ACCOUNT_HEADERS)}。文件的表头是：{shown}",
        )

    found, missing, columns = (
        (sites, site_missing, SITE_COLUMNS)
        if kind == "sites"
        else (accounts, account_missing, ACCOUNT_COLUMNS)
    )
    label = "网站名录" if kind == "sites" else "新媒体账号名录"
    if missing:
        names = [columns[n][0] for n in missing]
        raise RegistryHeaderError(path, f"{label}缺少必需的列：{'、'.join(names)}", kind=kind, missing=names)
    for name, written in found.items():
        if len(written) > 1:
            raise RegistryHeaderError(
                path,
                f"“{'”和“'.join(written)}”列都表示“{columns[name][0]}”，请只保留一列",
                kind=kind,
            )
    return kind, {name: written[0] for name, written in found.items()}


# ---------------------------------------------------------------------------------------------------------------
# cells

_INVISIBLE = set("\u200b\u200c\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text_problem(value: str, limit: int | None) -> str | None:
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            return "含有换行符或控制字符，请删除"
        if ch in _INVISIBLE:
            return "含有不可见字符（如零宽空格或方向控制符），请删除"
    if limit is not None and len(value) > limit:
        return f"内容过长（{len(value)}个字符），不能超过{limit}个字符"
    return None


def _value_key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).lower()


_HOST = re.compile(r"^(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff_-]{0,61}[a-z0-9\u00a1-\uffff])?\.)*"
                   r"[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff_-]{0,61}[a-z0-9\u00a1-\uffff])?$", re.I)  # fmt: skip
_BARE_HOST = re.compile(r"^[\w\u00a1-\uffff-]+(?:\.[\w\u00a1-\uffff-]+)+(?::\d+)?(?:[/?#].*)?$")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> str | None:
    """None when a 首页网址 is an http(s) URL with a host; the reason (in Chinese) otherwise."""
    if any(ch.isspace() for ch in url):
        return "网址中不能有空格或换行"
    if "://" not in url:
        if _BARE_HOST.match(url) and not url.lower().startswith(("javascript:", "mailto:", "ftp:", "file:")):
            return f"网址缺少“http://”或“https://”，请写完整，如“http://{url}”"
        return "网址必须以“http://”或“https://”开头"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "网址格式不正确（主机名或端口有误）"
    if parts.scheme.lower() not in {"http", "https"}:
        return "网址必须以“http://”或“https://”开头"
    host = parts.hostname or ""
    if not host:
        return "网址缺少主机名（域名或IP地址）"
    if parts.username is not None or parts.password is not None:
        return "网址中不应含有用户名或密码"
    if not (_HOST.match(host) or _is_ip(host)):
        return f"网址的主机名“{host}”不正确"
    if port == 0:
        return "网址的端口不正确"
    return None


# ---------------------------------------------------------------------------------------------------------------
# rows


class _RowCheck:
    """Collects one row's values and errors."""

    def __init__(self, number: int, values: dict[str, str], columns: dict[str, str]) -> None:
        self.number = number
        self.values = values
        self.columns = columns
        self.errors: list[RowError] = []

    def raw(self, name: str) -> str:
        header = self.columns.get(name)
        return self.values.get(header, "").strip() if header is not None else ""

    def error(self, name: str, value: str, reason: str) -> None:
        self.errors.append(RowError(self.number, self.columns.get(name, name), value, reason))

    def text(self, name: str, *, required: bool) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, value, "不能为空")
            return None
        problem = _text_problem(value, MAX_LENGTHS.get(name))
        if problem:
            self.error(name, value, problem)
            return None
        return value

    def status(self) -> RunStatus | None:
        value = self.raw("status")
        if not value:
            return RunStatus.RUNNING
        key = _value_key(value)
        for status in RunStatus:
            if key == status.value:
                return status
        if key in STATUS_SYNONYMS:
            return STATUS_SYNONYMS[key]
        allowed = "、".join(s.value for s in RunStatus)
        self.error("status", value, f"运行状态应为{allowed}之一（留空表示运行）")
        return None


def _check_site(row: _RowCheck) -> SiteRecord | None:
    site_code: str | None = None
    raw_code = row.raw("site_code")
    if not raw_code:
        row.error("site_code", raw_code, "不能为空")
    else:
        candidate = identifiers.normalise(raw_code)
        if candidate[:2].lower() == "bm":
            candidate = "bm" + candidate[2:]
        reason = identifiers.check_site_code(candidate)
        if reason:
            row.error("site_code", raw_code, reason)
        else:
            site_code = candidate

    name = row.text("name", required=True)
    sponsor = row.text("sponsor", required=True)
    region = row.text("region", required=True)

    url = row.text("url", required=True)
    if url is not None:
        reason = check_url(url)
        if reason:
            row.error("url", url, reason)
            url = None

    category: SiteCategory | None = None
    raw_category = row.raw("category")
    if not raw_category:
        row.error("category", raw_category, "不能为空")
    else:
        key = _value_key(raw_category)
        category = next((c for c in SiteCategory if c.value == key), None) or CATEGORY_SYNONYMS.get(key)
        if category is None:
            allowed = "、".join(c.value for c in SiteCategory)
            row.error("category", raw_category, f"类别应为{allowed}之一")

    status = row.status()

    filings: dict[str, str | None] = {}
    for name_, check in (("icp", identifiers.check_icp), ("psb", identifiers.check_psb)):
        value = row.text(name_, required=False)
        if value is not None:
            reason = check(value)
            if reason:
                row.error(name_, value, reason)
        filings[name_] = value

    division_code: str | None = None
    raw_division = row.raw("division_code")
    if raw_division:
        candidate = identifiers.normalise(raw_division)
        if not re.fullmatch(r"\d{6}", candidate):
            row.error("division_code", raw_division, "区划代码应为6位数字")
        elif regions.lookup(candidate) is None:
            row.error("division_code", raw_division, f"“{candidate}”不是有效的行政区划代码")
        else:
            division_code = candidate
    elif site_code is not None:
        region_ = regions.for_site_code(site_code)
        division_code = region_.code if region_ is not None else None

    has_services: bool | None = None  # not given: an existing site keeps what it had, a new one has services
    raw_services = row.raw("has_services")
    if raw_services:
        has_services = SERVICES_VALUES.get(_value_key(raw_services))
        if has_services is None:
            row.error("has_services", raw_services, "对外服务应填“是”或“否”（留空表示有对外服务）")

    if row.errors:
        return None
    assert site_code and name and url and sponsor and region and category and status
    return SiteRecord(
        site_code=site_code,
        name=name,
        url=url,
        sponsor=sponsor,
        region=region,
        category=category,
        status=status,
        icp=filings["icp"],
        psb=filings["psb"],
        division_code=division_code,
        has_services=has_services,
    )


def _check_account(row: _RowCheck) -> AccountRecord | None:
    platform: Platform | None = None
    raw_platform = row.raw("platform")
    if not raw_platform:
        row.error("platform", raw_platform, "不能为空")
    else:
        key = _value_key(raw_platform)
        platform = next((p for p in Platform if p.value.lower() == key), None) or PLATFORM_SYNONYMS.get(key)
        if platform is None:
            allowed = "、".join(p.value for p in Platform)
            row.error("platform", raw_platform, f"平台应为{allowed}之一")

    account_name = row.text("account_name", required=True)
    account_id = row.text("account_id", required=True)
    sponsor = row.text("sponsor", required=True)
    region = row.text("region", required=True)
    status = row.status()

    registered: bool | None = True
    raw_registered = row.raw("registered")
    if raw_registered:
        registered = REGISTERED_VALUES.get(_value_key(raw_registered))
        if registered is None:
            row.error("registered", raw_registered, "是否备案应填“是”或“否”（留空表示是）")

    if row.errors:
        return None
    assert (
        platform and account_name and account_id and sponsor and region and status and registered is not None
    )
    return AccountRecord(
        platform=platform,
        account_name=account_name,
        account_id=account_id,
        sponsor=sponsor,
        region=region,
        status=status,
        registered=registered,
    )


def validate_table(table: Table, path: str | os.PathLike[str] | None = None) -> Validated:
    """Validate a table into records of the kind its headers make, and one RowError per bad cell.

    Raises RegistryHeaderError when the headers make neither kind or miss a required column. ``path`` only names
    the file in that error's message (default: the file the table was read from).
    """
    kind, columns = detect_kind(table.headers, table.source if path is None else path)
    recognised = set(columns.values())
    ignored = [h for h in table.headers if h and h not in recognised]
    check = _check_site if kind == "sites" else _check_account
    key_column = "site_code" if kind == "sites" else "account_id"

    records: list = []
    errors: list[RowError] = []
    first_row: dict[object, int] = {}
    for table_row in table.rows:
        row = _RowCheck(table_row.number, table_row.values, columns)
        record = check(row)
        if record is not None:
            earlier = first_row.get(record.key)
            if earlier is not None:
                what = "网站标识码" if kind == "sites" else "平台和账号ID"
                row.error(key_column, row.raw(key_column), f"与第{earlier}行的{what}重复")
                record = None
            else:
                first_row[record.key] = table_row.number
        errors.extend(row.errors)
        if record is not None:
            records.append(record)
    return Validated(kind=kind, records=records, errors=errors, columns=columns, ignored_columns=ignored)


def read_registry(path: str | os.PathLike[str]) -> Validated:
    """Read a CSV or XLSX registry file (skipping title rows above its header) and validate it."""
    table = read_table(path, header_predicate=is_registry_header)
    return validate_table(table, path)


# ---------------------------------------------------------------------------------------------------------------
# export


def site_rows(records: Iterable[SiteRecord]) -> Iterator[list[str]]:
    """Rows under SITE_EXPORT_HEADERS (SITE_HEADERS and 区划代码)."""
    for r in records:
        yield [
            r.site_code, r.name, r.url, r.sponsor, r.region, r.category.value, r.status.value,
            r.icp or "", r.psb or "", r.division_code or "", {None: "", True: "是", False: "否"}[r.has_services],
        ]  # fmt: skip


def account_rows(records: Iterable[AccountRecord]) -> Iterator[list[str]]:
    """Rows under ACCOUNT_HEADERS."""
    for r in records:
        yield [
            r.platform.value, r.account_name, r.account_id, r.sponsor, r.region, r.status.value,
            "是" if r.registered else "否",
        ]  # fmt: skip


def write_sites(path: str | os.PathLike[str], records: Iterable[SiteRecord]) -> None:
    write_table(path, SITE_EXPORT_HEADERS, site_rows(records))


def write_accounts(path: str | os.PathLike[str], records: Iterable[AccountRecord]) -> None:
    write_table(path, ACCOUNT_HEADERS, account_rows(records))
