"""Spans the typo checker must leave alone: names, identifiers, footers and the lexicon's exact forms.

Open-source spelling correctors rewrite proper names (one turned 沪公网安备 into 安倍好). Anything listed here
is never spelling-checked: registry names and units passed in as a whitelist, division names, lexicon terms,
leaders' names, and identifiers (网站标识码, ICP and 公安备案 numbers, URLs, e-mail addresses, numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

_IDENTIFIERS = re.compile(
    r"https?://\S+|www\.[\w.-]+\S*|[\w.+-]+@[\w-]+\.[\w.-]+|"
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]ICP备\s*\d{6,10}号(?:-\d+)?|"
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]公网安备\s*\d{14}号?|"
    r"网站标识码\s*[:：]?\s*(?:bm)?\d{8,10}|"
    r"[\w〔〕\[\]（）()]{0,12}[〔\[]\d{4}[〕\]]\s*\d+\s*号|"
    r"[A-Za-z0-9][A-Za-z0-9_.:/%#=&?-]*\d[A-Za-z0-9_.:/%#=&?-]*",
)
_FOOTER = re.compile(r"(主办单位|承办单位|版权所有|技术支持|联系电话|联系地址|地址|邮编)\s*[:：][^\n]*")


class Whitelist:
    """Names from the registry (sites, sponsors, units, places) compiled for one pass over a text."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = tuple(sorted({n.strip() for n in names if n and len(n.strip()) >= 2}))
        self._automaton: ahocorasick.Automaton | None = None
        if self.names:
            automaton = ahocorasick.Automaton()
            for name in self.names:
                automaton.add_word(name, len(name))
            automaton.make_automaton()
            self._automaton = automaton

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self._automaton is None:
            return []
        return [(end + 1 - n, end + 1) for end, n in self._automaton.iter(text)]


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def protected_spans(
    text: str,
    *,
    whitelist: Whitelist | Iterable[str] | None = None,
    lexicon_spans: Iterable[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Merged ``(start, end)`` spans of ``text`` that no spelling check may touch."""
    spans: list[tuple[int, int]] = list(lexicon_spans)
    if whitelist is not None:
        wl = whitelist if isinstance(whitelist, Whitelist) else Whitelist(whitelist)
        spans.extend(wl.spans(text))
    spans.extend(m.span() for m in _IDENTIFIERS.finditer(text))
    spans.extend(m.span() for m in _FOOTER.finditer(text))
    return merge(spans)
