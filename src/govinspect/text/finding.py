"""One problem in a text, located by character offsets, with the form it should take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TextSeverity = Literal["veto", "deduction", "notice"]


@dataclass(frozen=True, slots=True)
class TextFinding:
    """``check`` is an id of INDICATORS.md (``content.serious_error``, ``content.typo``, ...).

    ``start``/``end`` are offsets into the checked text (``text[start:end] == self.text``), ``suggestion`` the
    canonical or corrected form (masked text for personal data), ``message`` why, in Chinese.
    """

    check: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str | None = None
    severity: TextSeverity = "deduction"  # the values of checks.finding.Severity (text/ sits below checks/)
    evidence: dict[str, Any] = field(default_factory=dict)
