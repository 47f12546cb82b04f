"""One entry point for the Chinese text checks of a plain text: ``check_text``.

It runs the lexicon matcher (serious errors, sensitive wording), the personal-data check, the check for
illegal goods advertised in plain text (``content.illegal``) and, unless told
not to, the typo checker of ``text/typo.py`` on everything outside the protected spans. The typo checker is
imported lazily: without it (or without its language model) the other checks still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date

from govinspect.text.finding import TextFinding
from govinspect.text.hidden_links import find_illegal_text
from govinspect.text.privacy import find_privacy_leaks
from govinspect.text.protect import Whitelist, protected_spans
from govinspect.text.serious import matcher

log = logging.getLogger(__name__)

TypoFinder = Callable[[str, list[tuple[int, int]]], list[TextFinding]]
_typo_state: dict[str, object] = {}


def typo_finder() -> TypoFinder | None:
    """``govinspect.text.typo.find_typos`` when it imports, else None (the reason is kept for the CLI)."""
    if "finder" not in _typo_state:
        try:
            from govinspect.text.typo import find_typos
        except Exception as exc:  # missing module or model: degrade, never fail the other checks
            _typo_state["finder"] = None
            _typo_state["reason"] = f"{type(exc).__name__}: {exc}"
            log.warning("错别字检查不可用：%s", exc)
        else:
            _typo_state["finder"] = find_typos
    return _typo_state["finder"]  # type: ignore[return-value]


def typo_unavailable_reason() -> str | None:
    typo_finder()
    return _typo_state.get("reason")  # type: ignore[return-value]


def check_text(
    text: str,
    *,
    as_of: date,
    whitelist: Whitelist | Iterable[str] | None = None,
    typos: bool = True,
    official_numbers: Iterable[str] = (),
) -> list[TextFinding]:
    """All text findings for ``text``, ordered by position.

    ``as_of`` is the date the text speaks for (publication date when known); ``whitelist`` holds registry
    names and units that are protected from spelling checks; ``official_numbers`` are the site's published
    contact numbers, never reported as personal data.
    """
    findings, spans = matcher().analyse(text, as_of)
    findings.extend(find_privacy_leaks(text, official_numbers=official_numbers, as_of=as_of))
    findings.extend(find_illegal_text(text))
    if typos and (finder := typo_finder()) is not None:
        protected = protected_spans(text, whitelist=whitelist, lexicon_spans=spans)
        flagged = [(f.start, f.end) for f in findings if f.severity == "veto"]
        for finding in finder(text, protected):
            if not any(a < finding.end and finding.start < b for a, b in flagged):
                findings.append(finding)
    findings.sort(key=lambda f: (f.start, f.end, f.check))
    return findings
