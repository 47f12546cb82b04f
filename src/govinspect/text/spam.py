"""Gambling, pornography and illegal-goods wording (``data/illegal.yaml``), read robustly.

Spam hides its words: traditional characters (澳門葡京), full-width letters (ＢＥＴ３６５), spaces or symbols
between characters (百-家-乐). Text is read as lower-case simplified with full-width letters folded, all of
which keep offsets; ``compact`` also drops everything but letters, digits and CJK (for link texts and hidden
blocks, where no offset is reported). A term inside a lawful longer form (娱乐场所, 体育彩票) is ignored.

``judge`` grades a text: ``strong`` (a strong term, or two different weak terms: 葡京 + 娱乐场) or ``weak`` (one
weak term), with law-enforcement wording beside it noted so callers downgrade (打击网络赌场 is news).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import ahocorasick
import yaml

from govinspect.text.hant import simplified

DEFAULT_PATH = Path(__file__).with_name("data") / "illegal.yaml"

_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_LETTERS_SPACED = re.compile(r"(?<![0-9a-z])[0-9a-z](?: [0-9a-z](?![0-9a-z]))+")  # b e t 3 6 5
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) | (?=[\u3400-\u9fff])")
# Wording of reports on law enforcement, warnings and rules: the same terms there are lawful text.
LAW_FRAME = re.compile(
    r"打击|查处|查获|破获|抓获|缴获|收缴|侦破|涉嫌|犯罪|违法|非法|严禁|禁止|不得|举报|警方|公安|民警|派出所|警惕|谨防|"
    r"提醒|诈骗|骗局|判处|判决|案件|整治|专项|切勿|不要|法律|条例|规定|办法|管理|安全|风险|危害|治理|排查|监管|"
    r"有人|发现|反映|投诉|有关部门|相关部门|比赛|射击|运动员|扫黄打非|远离|拒绝|防范|捣毁|端掉|取缔|打掉|关闭|"
    r"曝光|警示|通报|落网|获刑|起诉|追缴|涉赌|涉黄|反赌|禁赌|戒赌|赌资|受害|被骗|上当|销毁|没收|宣判|判刑|拘留|处罚|罚款"
)

Tier = Literal["strong", "weak", "lawful", "goods"]


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    term: str
    tier: Tier
    family: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """How strongly a text reads as spam: ``strong`` or ``weak``; ``law`` when enforcement wording is near."""

    level: Literal["strong", "weak"]
    terms: tuple[str, ...]
    family: str
    law: bool

    @property
    def term(self) -> str:
        return self.terms[0]


def readable(text: str) -> str:
    """Simplified reading with full-width letters folded; the same length as ``text``."""
    return simplified(text.translate(_FULL_WIDTH))


def normalise(text: str) -> str:
    """Lower-case ``readable`` text (same length as ``text``)."""
    return readable(text).lower()


def compact(text: str) -> str:
    """Letters, digits and CJK of the normalised text: separators spammers put between characters dropped
    (one space kept between two Latin words, so ``www.bet365.com`` still holds the word bet365; letters
    spelt out one by one are joined: ``b e t 3 6 5``)."""
    spaced = _CJK_GAP.sub("", _NOT_WORD.sub(" ", normalise(text))).strip()
    return _LETTERS_SPACED.sub(lambda m: m.group(0).replace(" ", ""), spaced)


class SpamLexicon:
    """The compiled ``illegal.yaml``: one automaton over every tier."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version = int(data.get("version", 0))
        entries: dict[str, tuple[str, Tier, str]] = {}

        def add(term: str, tier: Tier, family: str) -> None:
            key = normalise(str(term))
            if key and key not in entries:
                entries[key] = (str(term), tier, family)

        for term in data.get("lawful") or ():
            add(term, "lawful", "")
        for tier in ("strong", "weak"):
            for family, terms in (data.get(tier) or {}).items():
                for term in terms or ():
                    add(term, tier, family)  # type: ignore[arg-type]
        self.goods = tuple(str(t) for t in data.get("goods") or ())
        self.strong = tuple(t for t, tier, _ in entries.values() if tier == "strong")
        self.weak = tuple(t for t, tier, _ in entries.values() if tier == "weak")
        automaton = ahocorasick.Automaton()
        for key, (term, tier, family) in entries.items():
            automaton.add_word(key, (len(key), term, tier, family))
        automaton.make_automaton()
        self._automaton = automaton
        goods = ahocorasick.Automaton()
        for term in {normalise(t) for t in (*self.goods, *self.strong)}:
            goods.add_word(term, len(term))
        goods.make_automaton()
        self._goods = goods

    def hits(self, text: str, *, normalised: bool = False) -> list[Hit]:
        """Strong and weak terms of ``text`` outside lawful forms, in text order (offsets into ``text``)."""
        reading = text if normalised else normalise(text)
        found: list[Hit] = []
        lawful: list[tuple[int, int]] = []
        for end, (n, term, tier, family) in self._automaton.iter(reading):
            start = end + 1 - n
            if term.isascii() and not _whole_word(reading, start, end + 1):
                continue
            if tier == "lawful":
                lawful.append((start, end + 1))
            else:
                found.append(Hit(start, end + 1, term, tier, family))
        if lawful:
            found = [h for h in found if not any(a <= h.start and h.end <= b for a, b in lawful)]
        found.sort(key=lambda h: (h.start, -h.end))
        return found

    def judge(self, text: str, *, squeeze: bool = True) -> Verdict | None:
        """The spam grade of a short text (a link text, a hidden block); None when it holds no term."""
        reading = compact(text) if squeeze else normalise(text)
        hits = self.hits(reading, normalised=True)
        if not hits:
            return None
        # a term inside a longer one (赌场 in 网络赌场, 葡京 in 澳门葡京) is not a second sign
        hits = [
            h
            for h in hits
            if not any(
                o is not h and o.start <= h.start and h.end <= o.end and o.end - o.start > h.end - h.start
                for o in hits
            )
        ]
        strong = [h for h in hits if h.tier == "strong"]
        weak = list(dict.fromkeys(h.term for h in hits if h.tier == "weak"))
        chosen = strong or [h for h in hits if h.tier == "weak"]
        first = chosen[0]
        law = any(LAW_FRAME.search(reading, max(0, h.start - 20), h.end + 20) is not None for h in chosen)
        terms = tuple(dict.fromkeys([h.term for h in strong] + weak))
        level: Literal["strong", "weak"] = "strong" if strong or len(weak) >= 2 else "weak"
        return Verdict(level, terms, first.family, law)

    def strong_term(self, text: str) -> str | None:
        """The first strong term of ``text`` read as is (a script, an address), or None."""
        return next((h.term for h in self.hits(text) if h.tier == "strong"), None)

    def goods_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of illegal-goods and strong spam terms, longest first where they overlap (offsets kept)."""
        reading = normalise(text)
        found = sorted(
            ((end + 1 - n, end + 1) for end, n in self._goods.iter(reading)),
            key=lambda span: (span[0], -span[1]),
        )
        out: list[tuple[int, int]] = []
        for start, stop in found:
            if not out or start >= out[-1][1]:
                out.append((start, stop))
        return out


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalpha())


def load(path: Path | str | None = None) -> SpamLexicon:
    """The shipped ``illegal.yaml`` (compiled once) or a curator's file."""
    if path is None:
        return _default()
    with open(path, encoding="utf-8") as handle:
        return SpamLexicon(yaml.safe_load(handle) or {})


@cache
def _default() -> SpamLexicon:
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        return SpamLexicon(yaml.safe_load(handle) or {})
