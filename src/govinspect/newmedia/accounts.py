"""Accounts: the registry's accounts file with two optional new-media columns, and reading them back.

The registry (registry/) owns accounts: 平台, 账号名称, 账号ID, 主办单位, 所属地区, 运行状态, 是否备案. The same file
may carry two more columns, which the registry ignores and this module reads:

* 菜单 (互动菜单, 自定义菜单, menu): the account's menu. Empty: not known (no menu check). “无”: the account has
  no menu. Otherwise entries separated by “；”, “;” or new lines, each ``名称=网址`` (also ``名称|网址`` or
  ``名称：网址``) or a bare name (an automatic reply), or a JSON list ``[{"name": …, "url": …}]``.
* 采集地址 (订阅地址, 信息源, sources): where the account's posts are read, separated by spaces, “；” or
  commas: a feed (RSS, Atom, JSON Feed, e.g. an RSSHub route), an H5 page listing the posts, an article page or
  an app's download page. ``feed:``/``page:`` (or a registered adapter's kind) before a URL forces the adapter.

Import is all-or-nothing like the registry's: every bad cell is listed with its row and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.newmedia.model import AccountInfo, AccountKey, MenuEntry, SourceSpec
from govinspect.newmedia.tables import AccountSettings
from govinspect.registry import service
from govinspect.registry.tabular import read_table
from govinspect.registry.validate import RowError, is_registry_header, normalise_header, read_registry
from govinspect.store import Store
from govinspect.store.models import Account, Unit

MENU_COLUMN = "菜单"
SOURCES_COLUMN = "采集地址"
_COLUMNS = {
    "menu": (MENU_COLUMN, "互动菜单", "自定义菜单", "公众号菜单", "menu"),
    "sources": (SOURCES_COLUMN, "订阅地址", "信息源", "采集来源", "feed", "feeds", "sources"),
}
_INDEX = {normalise_header(text): name for name, texts in _COLUMNS.items() for text in texts}
NO_MENU = frozenset({"无", "没有", "无菜单", "none", "[]"})
_URL = re.compile(r"^https?://[^\s<>\"']+$", re.I)
_KIND_URL = re.compile(r"^([a-z][a-z0-9_.-]{0,19}):(https?://\S+)$", re.I)
_ENTRY_SPLIT = re.compile(r"[；;\n]+")
_SOURCE_SPLIT = re.compile(r"[\s；;，,]+")


class AccountsImportError(Exception):
    """Bad cells in an accounts file: nothing was imported; each error names its row and column."""

    def __init__(self, path: Path, errors: Sequence[RowError]) -> None:
        self.path = path
        self.errors = list(errors)
        super().__init__(f"{path.name}：{len(self.errors)} 处错误，未导入任何记录")


@dataclass
class AccountsImport:
    registry: service.ImportReport
    settings: int = 0  # accounts whose menu or sources were set from the file
    keys: list[AccountKey] = field(default_factory=list)


def parse_menu(value: str) -> tuple[tuple[MenuEntry, ...] | None, str | None]:
    """(entries, None) or (None, the reason in Chinese). Empty text gives (None, None): the menu is not known."""
    value = value.strip()
    if not value:
        return None, None
    if value.lower() in NO_MENU:
        return (), None
    if value.startswith("["):
        try:
            data = json.loads(value)
        except ValueError as exc:
            return None, f"菜单不是有效的 JSON（{exc}）"
        entries = []
        for item in data if isinstance(data, list) else [None]:
            if not isinstance(item, dict) or not str(item.get("name") or "").strip():
                return None, "JSON 菜单的每一项应为含 name 的对象"
            url = str(item.get("url") or "").strip() or None
            if url and not _URL.match(url):
                return None, f"菜单项“{item['name']}”的网址应以 http:// 或 https:// 开头"
            entries.append(
                MenuEntry(str(item["name"]).strip(), url, str(item.get("reply") or "").strip() or None)
            )
        return tuple(entries), None
    entries = []
    for part in _ENTRY_SPLIT.split(value):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^(.+?)\s*(?:=|\||：|:(?!//))\s*(https?://\S+)$", part)
        if match:
            entries.append(MenuEntry(match.group(1).strip(), match.group(2)))
        elif "://" in part or "=" in part or "|" in part:
            return None, f"菜单项“{part[:40]}”应写成“名称=网址”（网址以 http:// 或 https:// 开头）"
        else:
            entries.append(MenuEntry(part))
    return tuple(entries), None


def parse_sources(value: str) -> tuple[tuple[SourceSpec, ...], str | None]:
    specs = []
    for part in _SOURCE_SPLIT.split(value.strip()):
        if not part:
            continue
        forced = _KIND_URL.match(part)
        if forced and not part.lower().startswith(("http:", "https:")):
            specs.append(SourceSpec(forced.group(2), forced.group(1).lower()))
        elif _URL.match(part):
            specs.append(SourceSpec(part))
        else:
            return (), f"“{part[:60]}”不是 http:// 或 https:// 网址"
    return tuple(dict.fromkeys(specs)), None


@dataclass(frozen=True, slots=True)
class _Extras:
    key: AccountKey
    menu: tuple[MenuEntry, ...] | None
    sources: tuple[SourceSpec, ...]


def read_extras(path: Path) -> tuple[str, dict[str, str], list[_Extras], list[RowError]]:
    """The file's registry kind, its new-media columns (field -> header), their values per row, bad cells."""
    validated = read_registry(path)
    if validated.kind != "accounts":
        return validated.kind, {}, [], []
    table = read_table(path, header_predicate=is_registry_header)
    columns: dict[str, str] = {}
    for header in table.headers:
        name = _INDEX.get(normalise_header(header)) if header else None
        if name and name not in columns:
            columns[name] = header
    records = iter(validated.records)
    bad_rows = {e.row for e in validated.errors}
    extras: list[_Extras] = []
    errors: list[RowError] = list(validated.errors)
    for row in table.rows:
        if row.number in bad_rows:
            continue
        record = next(records, None)
        if record is None:
            break
        menu, sources = None, ()
        if "menu" in columns:
            menu, reason = parse_menu(row.values.get(columns["menu"], ""))
            if reason:
                errors.append(
                    RowError(row.number, columns["menu"], row.values.get(columns["menu"], ""), reason)
                )
        if "sources" in columns:
            raw = row.values.get(columns["sources"], "")
            sources, reason = parse_sources(raw)
            if reason:
                errors.append(RowError(row.number, columns["sources"], raw, reason))
        extras.append(_Extras(AccountKey(record.platform.value, record.account_id), menu, sources))
    return validated.kind, columns, extras, errors


def import_accounts(store: Store, path: Path) -> AccountsImport:
    """Import an accounts file into the registry and keep its menu and source columns; all or nothing."""
    path = Path(path)
    kind, columns, extras, errors = read_extras(path)
    if kind != "accounts":
        raise AccountsImportError(path, [RowError(1, "表头", "", "这是网站名录，不是政务新媒体账号名录")])
    if errors:
        raise AccountsImportError(path, errors)
    report = service.import_file(store, path)
    result = AccountsImport(report, keys=[e.key for e in extras])
    if not columns:
        return result
    with store.session() as session:
        accounts = {(a.platform, a.account_id): a for a in session.scalars(select(Account))}
        settings = {s.account_pk: s for s in session.scalars(select(AccountSettings))}
        for extra in extras:
            account = accounts[(extra.key.platform, extra.key.account_id)]
            row = settings.get(account.id)
            if row is None:
                row = AccountSettings(account_pk=account.id, menu=None, sources=[])
                session.add(row)
            if "menu" in columns:
                row.menu = None if extra.menu is None else [_entry_json(e) for e in extra.menu]
            if "sources" in columns:
                row.sources = [{"url": s.url, "kind": s.kind} for s in extra.sources]
            result.settings += 1
    return result


def _entry_json(entry: MenuEntry) -> dict[str, str]:
    return {k: v for k, v in (("name", entry.name), ("url", entry.url), ("reply", entry.reply)) if v}


def load_accounts(session: Session) -> list[AccountInfo]:
    """Every registry account with its settings, in registry order."""
    rows = session.execute(
        select(Account, Unit.name, AccountSettings)
        .join(Unit, Account.unit_id == Unit.id)
        .outerjoin(AccountSettings, AccountSettings.account_pk == Account.id)
        .order_by(Account.id)
    )
    accounts = []
    for account, unit, settings in rows:
        menu = None
        sources: tuple[SourceSpec, ...] = ()
        if settings is not None:
            if settings.menu is not None:
                menu = tuple(MenuEntry(e["name"], e.get("url"), e.get("reply")) for e in settings.menu)
            sources = tuple(SourceSpec(s["url"], s.get("kind", "auto")) for s in settings.sources or [])
        accounts.append(
            AccountInfo(
                key=AccountKey(account.platform, account.account_id),
                name=account.account_name,
                unit=unit,
                region=account.region,
                status=account.status,
                registered=account.registered,
                menu=menu,
                sources=sources,
            )
        )
    return accounts


def registry_pks(session: Session) -> dict[AccountKey, int]:
    return {
        AccountKey(p, a): pk
        for pk, p, a in session.execute(select(Account.id, Account.platform, Account.account_id))
    }
