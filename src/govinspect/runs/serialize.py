"""Site models to JSON and back, so a stored result can be re-checked without crawling.

Reading back follows the dataclasses' type hints (nested dataclasses, tuples, frozensets, dates, datetimes), so a
fact added to the model round-trips without code here; a field missing from an older stored model takes its
default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import asdict, fields
from datetime import date, datetime
from functools import cache
from typing import Any

from govinspect.extract.model import SiteModel

MODEL_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # datetime too
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


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _read(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_read(item, v) for v in value)
    if origin is frozenset:
        (item,) = typing.get_args(hint) or (Any,)
        return frozenset(_read(item, v) for v in value)
    if origin is dict:
        return dict(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value)
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    values = {f.name: _read(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}
    return cls(**values)


def read_dataclass(cls: type, data: dict[str, Any]) -> Any:
    """One stored fact of the model (a nested dataclass) read back on its own."""
    return _build(cls, data)


def model_from_dict(data: dict[str, Any]) -> SiteModel:
    if data.get("version") != MODEL_VERSION:
        raise ValueError(f"stored site model version {data.get('version')!r} is not {MODEL_VERSION}")
    return _build(SiteModel, data)
