"""A finding: one problem on one page, with the evidence an inspector shows the unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    VETO = "veto"
    DEDUCTION = "deduction"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class Finding:
    """``check`` is an id of INDICATORS.md. ``severity`` is what the check knows by itself (``notice`` for
    evidence a person must confirm); scoring decides which findings fire a veto or cost points."""

    check: str
    url: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.DEDUCTION
    snapshot_id: int | None = None
