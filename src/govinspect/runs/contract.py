"""The JSON that ``govinspect inspect --json`` writes (INDICATORS.md §8)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from govinspect.checks.finding import Finding, Severity
from govinspect.scoring.engine import SiteScore


@dataclass(frozen=True)
class SiteOutcome:
    site_code: str
    name: str
    url: str
    findings: Sequence[Finding]
    score: SiteScore


def site_entry(outcome: SiteOutcome) -> dict[str, Any]:
    severities: Sequence[Severity] = outcome.score.severities or [f.severity for f in outcome.findings]
    return {
        "site_code": outcome.site_code,
        "name": outcome.name,
        "url": outcome.url,
        "verdict": outcome.score.verdict,
        "vetoes": outcome.score.veto_names,
        "score": outcome.score.score,
        "findings": [
            {
                "check": finding.check,
                "severity": severity.value,
                "url": finding.url,
                "message": finding.message,
                "evidence": finding.evidence,
                **({"snapshot_id": finding.snapshot_id} if finding.snapshot_id is not None else {}),
            }
            for finding, severity in zip(outcome.findings, severities, strict=True)
        ],
    }


def document(as_of: date, profile: str, outcomes: Sequence[SiteOutcome], **extra: Any) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "profile": profile,
        **extra,
        "sites": [site_entry(o) for o in outcomes],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Written under a temporary name and moved into place: a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
