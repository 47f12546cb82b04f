"""Post lists exported from platform back-ends or monitoring vendors: CSV, XLSX or JSON, read all-or-nothing.

Headers are Chinese (平台, 账号ID, 标题, 发布时间, 链接, 正文) or English (platform, account_id, title,
published_at, url, text); 账号名称/account_name and 文章ID/post_id are optional. A post needs its platform,
account ID, publication time and a title or a text. Every bad cell gives one :class:`PostRowError` naming its
row (its position, for JSON) and column; a file with any error imports nothing.

Platforms are written many ways in exports (微信, 公众号, 新浪微博, weibo…): they are mapped with the registry's
own synonym table, never guessed.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from govinspect.newmedia.feed import parse_when
from govinspect.newmedia.model import AccountKey, Post, post_key
from govinspect.registry.model import Platform
from govinspect.registry.tabular import RegistryFileError, read_table
from govinspect.registry.validate import PLATFORM_SYNONYMS, normalise_header

MAX_JSON_BYTES = 200 * 1024 * 1024
MAX_TITLE = 1000
MAX_TEXT = 200_000

# field -> (canonical Chinese header, other accepted headers)
POST_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "platform": ("平台", ("平台类型", "所属平台", "platform")),
    "account_id": ("账号ID", ("帐号ID", "账号标识", "帐号标识", "account_id", "accountid")),
    "account_name": ("账号名称", ("帐号名称", "account_name", "accountname")),
    "post_id": ("文章ID", ("内容ID", "稿件ID", "post_id", "postid", "id")),
    "title": ("标题", ("文章标题", "title")),
    "published_at": ("发布时间", ("发布日期", "发文时间", "published_at", "published", "pubdate", "date")),
    "url": ("链接", ("文章链接", "原文链接", "网址", "url", "link")),
    "text": ("正文", ("内容", "文章内容", "text", "content", "body")),
}
REQUIRED = ("platform", "account_id", "published_at")
_INDEX = {
    normalise_header(text): name
    for name, (canonical, others) in POST_COLUMNS.items()
    for text in (canonical, *others)
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u202a-\u202e\u2066-\u2069]")


class PostImportError(Exception):
    """A post list that cannot be imported: the whole file (``errors`` empty) or some cells (listed)."""

    def __init__(
        self, path: str | os.PathLike[str], reason: str, errors: Sequence[PostRowError] = ()
    ) -> None:
        self.path = str(path)
        self.errors = list(errors)
        super().__init__(f"文件“{Path(path).name}”：{reason}")


@dataclass(frozen=True, slots=True)
class PostRowError:
    row: int  # the spreadsheet's row number; for JSON, the item's position (1-based)
    column: str  # the header (key) as written in the file
    value: str
    reason: str
    json_item: bool = False

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:60] + "…"
        value = f"（值：“{shown}”）" if self.value else ""
        where = f"第{self.row}条" if self.json_item else f"第{self.row}行"
        return f"{where}“{self.column}”列：{self.reason}{value}"


@dataclass(frozen=True, slots=True)
class ImportedPost:
    account: AccountKey
    account_name: str | None
    post: Post
    row: int


@dataclass(frozen=True, slots=True)
class PostList:
    source: str  # the file read
    posts: list[ImportedPost] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def platform_of(value: str) -> Platform | None:
    """The registry platform a written platform name means, or None when it is not one we know."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).lower()
    for platform in Platform:
        if key == platform.value.lower():
            return platform
    return PLATFORM_SYNONYMS.get(key)


def read_posts(path: str | os.PathLike[str], *, fetched_at: datetime) -> PostList:
    """Read and validate a post list; raises :class:`PostImportError` listing every bad cell."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        records, columns, json_items = _json_records(path), None, True
    else:
        try:
            table = read_table(path, header_predicate=lambda cells: len(_map(cells)) >= 3)
        except RegistryFileError as exc:
            raise PostImportError(path, exc.reason) from None
        records = [(row.number, row.values) for row in table.rows]
        columns, json_items = table.headers, False
    if columns is None:
        columns = list(dict.fromkeys(k for _, values in records for k in values))
    mapping = _map(columns)
    missing = [POST_COLUMNS[name][0] for name in REQUIRED if name not in mapping]
    if "title" not in mapping and "text" not in mapping:
        missing.append("标题或正文")
    if missing:
        raise PostImportError(path, f"缺少必需的列：{'、'.join(missing)}（表头可用中文或英文，见说明）")
    posts: list[ImportedPost] = []
    errors: list[PostRowError] = []
    first: dict[tuple[AccountKey, str], int] = {}
    for number, values in records:
        row = _Row(number, values, mapping, json_items)
        imported = row.post(path, fetched_at)
        if imported is not None:
            identity = (imported.account, imported.post.key)
            if identity in first:
                row.error(
                    "post_id" if "post_id" in mapping else "url",
                    f"与第{first[identity]}{row.unit}是同一篇文章",
                )
                imported = None
            else:
                first[identity] = number
        errors.extend(row.errors)
        if imported is not None:
            posts.append(imported)
    if errors:
        raise PostImportError(path, f"{len(errors)} 处错误，未导入任何文章", errors)
    known = set(mapping.values())
    return PostList(str(path), posts, [c for c in columns if c and c not in known])


def _map(headers: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers:
        name = _INDEX.get(normalise_header(header)) if header else None
        if name is not None and name not in found:
            found[name] = header
    return found


def _json_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise PostImportError(path, "文件过大，请拆分后分批导入")
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise PostImportError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise PostImportError(path, f"不是有效的 JSON（{exc}）") from None
    if isinstance(data, Mapping):
        data = data.get("posts", data.get("items", data.get("data")))
    if not isinstance(data, list):
        raise PostImportError(path, "JSON 应为文章列表，或含 posts 列表的对象")
    records = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise PostImportError(path, f'第{index}条不是对象（应为 {{"platform": …, "title": …}}）')
        records.append((index, {str(k): "" if v is None else str(v) for k, v in item.items()}))
    return records


class _Row:
    def __init__(
        self, number: int, values: Mapping[str, str], mapping: dict[str, str], json_item: bool
    ) -> None:
        self.number = number
        self.values = values
        self.mapping = mapping
        self.json_item = json_item
        self.unit = "条" if json_item else "行"
        self.errors: list[PostRowError] = []

    def raw(self, name: str) -> str:
        header = self.mapping.get(name)
        return (self.values.get(header) or "").strip() if header else ""

    def error(self, name: str, reason: str) -> None:
        header = self.mapping.get(name, POST_COLUMNS[name][0])
        self.errors.append(PostRowError(self.number, header, self.raw(name), reason, self.json_item))

    def text(self, name: str, limit: int, *, multiline: bool = False) -> str:
        value = self.raw(name)
        if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
            self.error(name, "含有控制字符或不可见字符" + ("" if multiline else "（或换行）"))
            return ""
        if len(value) > limit:
            self.error(name, f"内容过长（{len(value)}个字符），不能超过{limit}个字符")
            return ""
        return value

    def post(self, path: Path, fetched_at: datetime) -> ImportedPost | None:
        platform = None
        raw_platform = self.raw("platform")
        if not raw_platform:
            self.error("platform", "不能为空")
        else:
            platform = platform_of(raw_platform)
            if platform is None:
                self.error("platform", f"平台应为{'、'.join(p.value for p in Platform)}之一")
        account_id = self.text("account_id", 200)
        if not self.raw("account_id"):
            self.error("account_id", "不能为空")
        published = None
        raw_time = self.raw("published_at")
        if not raw_time:
            self.error("published_at", "不能为空")
        else:
            published = parse_when(raw_time)
            if published is None:
                self.error("published_at", "不是可识别的时间（如 2020-03-25 10:21 或 2020年3月25日）")
        title = self.text("title", MAX_TITLE)
        body = self.text("text", MAX_TEXT, multiline=True)
        if not self.raw("title") and not self.raw("text"):
            self.error("title" if "title" in self.mapping else "text", "标题和正文不能都为空")
        url = self.text("url", 2048)
        if url and not re.match(r"https?://\S+$", url, re.I):
            self.error("url", "链接应以 http:// 或 https:// 开头，且不含空格")
            url = ""
        post_id = self.text("post_id", 200) or None
        name = self.text("account_name", 200) or None
        if self.errors or platform is None or published is None:
            return None
        post = Post(
            key=post_key(post_id, url or None, title or body[:200], published),
            title=title or body[:60].replace("\n", " "),
            text=body,
            published=published,
            url=url or None,
            post_id=post_id,
            source="import",
            source_url=str(path),
            fetched_at=fetched_at,
        )
        return ImportedPost(AccountKey(platform.value, account_id), name, post, self.number)
