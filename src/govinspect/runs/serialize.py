"""Site models to JSON and back, so a stored result can be re-checked without crawling."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date
from typing import Any

from govinspect.extract.model import (
    Attempt,
    Column,
    ContentIssue,
    Expected,
    Footer,
    Homepage,
    LinkCheck,
    PageMeta,
    SiteModel,
)

MODEL_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def model_to_dict(model: SiteModel) -> dict[str, Any]:
    return {"version": MODEL_VERSION, **_plain(asdict(model))}


def _build(cls: type, data: dict[str, Any], **nested: Any) -> Any:
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    for name, value in list(values.items()):
        if isinstance(value, list) and name not in nested:
            values[name] = tuple(value)
    values.update(nested)
    return cls(**values)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def model_from_dict(data: dict[str, Any]) -> SiteModel:
    if data.get("version") != MODEL_VERSION:
        raise ValueError(f"stored site model version {data.get('version')!r} is not {MODEL_VERSION}")
    home = data["homepage"]
    homepage = _build(
        Homepage,
        home,
        attempts=tuple(_build(Attempt, a) for a in home["attempts"]),
        newest=_date(home.get("newest")),
    )
    return SiteModel(
        expected=_build(Expected, data["expected"]),
        homepage=homepage,
        columns=tuple(_build(Column, c, newest=_date(c.get("newest"))) for c in data.get("columns", [])),
        footers=tuple(_build(Footer, f) for f in data.get("footers", [])),
        links=tuple(_build(LinkCheck, link) for link in data.get("links", [])),
        metas=tuple(_build(PageMeta, m, present=frozenset(m["present"])) for m in data.get("metas", [])),
        notes=dict(data.get("notes", {})),
        content=tuple(
            _build(
                ContentIssue, c, published=_date(c.get("published")), evidence=dict(c.get("evidence") or {})
            )
            for c in data.get("content", [])
        ),
    )
