"""Traditional Chinese (繁體) text read as simplified, character for character, for the lexicon checks.

The lexicons (official wording, sensitive and illegal terms) are written in simplified characters; a page in
traditional characters (a Hong Kong or Taiwan affairs column, an injected spam block) must still match them.
The tables are OpenCC's own (``opencc-python-reimplemented``, a dependency): ``TSPhrases`` and
``TSCharacters``, after ``TWVariantsRev`` and ``HKVariantsRev``. Every mapping is one character to one character (phrases of equal
length), so offsets into the converted text are offsets into the original: findings report the original text.

Simplified text is never converted: only a text holding a character that simplified writing does not use
(one outside GB 2312) is read through the tables, so ordinary pages cost one regular-expression scan.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import ahocorasick


def _opencc_dir() -> Path | None:
    from importlib.util import find_spec

    spec = find_spec("opencc")  # the data files only: the package's converter is not used
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    return path if path.is_dir() else None


def _pairs(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0]
        if source and target and source != target:
            out.append((source, target))
    return out


@cache
def _gb2312() -> frozenset[str]:
    chars = set()
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


class Converter:
    """Traditional → simplified, length-preserving; ``detect`` tells whether a text needs it."""

    def __init__(self) -> None:
        folder = _opencc_dir()
        chars: dict[str, str] = {}
        phrases: dict[str, str] = {}
        if folder is not None:
            for source, target in _pairs(folder / "TSCharacters.txt"):
                if len(source) == 1 and len(target) == 1:
                    chars[source] = target
            for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
                for source, target in _pairs(folder / name):
                    target = chars.get(
                        target, target
                    )  # a Taiwan or Hong Kong variant, then its simplified form
                    if len(source) == 1 and len(target) == 1 and source != target:
                        chars.setdefault(source, target)
            for source, target in _pairs(folder / "TSPhrases.txt"):
                if len(source) == len(target) > 1:
                    phrases[source] = target
        # 於, 後, 乾, 徵 ... are also ordinary simplified characters: detection ignores them.
        marks = sorted(c for c in chars if c not in _gb2312() and len(c.encode("utf-16-le")) == 2)
        self.table = str.maketrans(chars)
        self.available = bool(chars)
        self._marks = re.compile("[" + "".join(re.escape(c) for c in marks) + "]") if marks else None
        self._phrases: ahocorasick.Automaton | None = None
        if phrases:
            automaton = ahocorasick.Automaton()
            for source, target in phrases.items():
                automaton.add_word(source, (len(source), target))
            automaton.make_automaton()
            self._phrases = automaton

    def detect(self, text: str) -> bool:
        """Whether ``text`` holds a traditional-only character."""
        return self._marks is not None and self._marks.search(text) is not None

    def to_simplified(self, text: str) -> str:
        """``text`` with traditional characters replaced by simplified ones; same length, same offsets."""
        out = text.translate(self.table)
        if self._phrases is None:
            return out
        hits = sorted(
            ((end + 1 - n, target) for end, (n, target) in self._phrases.iter(text)),
            key=lambda h: (h[0], -len(h[1])),
        )
        if not hits:
            return out
        parts, at = [], 0
        for start, target in hits:
            if start < at:
                continue
            parts.append(out[at:start])
            parts.append(target)
            at = start + len(target)
        parts.append(out[at:])
        return "".join(parts)


@cache
def converter() -> Converter:
    return Converter()


def simplified(text: str) -> str:
    """``text`` itself when it is simplified; else the same-length simplified reading of it."""
    conv = converter()
    return conv.to_simplified(text) if conv.detect(text) else text


def traditional_form(simplified_text: str) -> str:
    """A traditional rendering of a suggestion (OpenCC's s2t), for findings on a traditional text."""
    try:
        from opencc import OpenCC
    except ImportError:
        return simplified_text
    return _s2t(OpenCC).convert(simplified_text)


@cache
def _s2t(cls: type) -> object:
    return cls("s2t")
