"""Typos (错别字, ``content.typo``): characters that break a word where a confusable character would make one.

How a typo is found, cheapest test first:

1. The text is cut into runs of Chinese characters; protected spans (names, footers, identifiers the caller
   passes) and everything that is not a Han character end a run, so they are never read or changed.
2. Each run is segmented with jieba (dictionary only, no HMM: the HMM would glue a typo to its neighbours into an
   invented "new word"). A character that jieba leaves on its own and that no dictionary word covers is a suspect;
   characters inside dictionary words are left alone (real-word errors such as 再/在 are out of reach here, on
   purpose: they cost precision).
3. Candidates for a suspect are the characters that, put in its place, make a common dictionary word with its
   neighbours (a masked-word index over jieba's dictionary, proper nouns excluded, so a correction never invents a
   name) and that are confusable with it: same pinyin, other tone, similar pinyin, or similar shape
   (``confusion.py``).
4. Each candidate is scored with Debian's KenLM word trigram on a few words either side; it is reported when the
   corrected text is more probable by a margin that depends on the kind of confusion (margins tuned for precision
   on one half of the official-document set in ``bench/text/spelling.py`` and checked on the other half).

Without the KenLM model the checker falls back to jieba's unigram word counts with higher margins: fewer typos
found, stated by ``typo_mode()``.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from govinspect.text.confusion import (
    MASK,
    MAX_WORD,
    MIN_WORD,
    MIN_WORD_FREQ,
    WordIndex,
    confusables,
    pinyin_keys,
    word_index,
)
from govinspect.text.finding import TextFinding
from govinspect.text.lm import WordLM, lm_status, load_lm

CHECK = "content.typo"
# Minimum gain in log10 probability of the corrected window, by scorer and confusion kind; "kind+" applies when
# the original already made a dictionary word (a real-word error needs more evidence).
THRESHOLDS: dict[str, dict[str, float]] = {
    # Tuned on the even lines of odw_train.tsv for finding precision >= 0.92 (bench/text/spelling.py --tune),
    # then rounded so that a "+" margin is never below its plain one. Re-tuning with the in-word candidates
    # (pinyin+/tone+ now include them) lowered several margins and cost held-out precision (0.889), so these stay.
    "kenlm": {"pinyin": 4.25, "tone": 6.0, "shape": 6.5, "fuzzy": 6.0, "word": 5.0, "pair": 5.0}
    | {"pinyin+": 5.0, "tone+": 6.0, "shape+": 6.5, "fuzzy+": 6.5, "word+": 5.0, "pair+": 5.0},
    "unigram": {"pinyin": 3.0, "tone": 3.5, "shape": 5.0, "fuzzy": 4.0, "word": 5.0, "pair": 5.5}
    | {"pinyin+": 4.25, "tone+": 4.25, "shape+": 5.0, "fuzzy+": 4.5, "word+": 4.0, "pair+": 4.0},
}
# Each further character a correction changes needs this much more gain (施形: 施行, not 实行).
EXTRA_CHAR_MARGIN = 1.0
# A whole-word homophone is tried only when it is at least 1/HOMOPHONE_RATIO as common as the written word.
HOMOPHONE_RATIO = 10
# Words of context either side of the suspect that the scorer sees.
CONTEXT_WORDS = 2
# Characters inside dictionary words of WORD_CHECK_LENGTHS are tried only where the text reads badly: the word and
# the next one together less probable than 10**-UNLIKELY given the words before (about half the words of
# official text; nine in ten of the words holding a typo in the development half).
UNLIKELY = 8.0
WORD_CHECK_LENGTHS = (2, 3)
_KIND_ZH = {"pinyin": "同音", "tone": "音近（声调不同）", "fuzzy": "音近", "shape": "形近"}


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed correction with the figures the decision is made on (the benchmark tunes on these)."""

    pos: int  # offset in the checked text of the first replaced character
    wrong: str  # the replaced text (one character, or a whole word for kind "word")
    right: str
    kind: str  # a confusion_kind, or "word": a whole word replaced by a homophone
    gain: float  # log10 P(corrected window) - log10 P(original window)
    covered: bool  # the original already made a dictionary word (a real-word error needs more evidence)
    word: str  # the dictionary word the correction makes
    word_pos: int  # its offset in the checked text: the correction relies on the rest of it being right

    @property
    def end(self) -> int:
        return self.pos + len(self.wrong)

    def margin(self, thresholds: dict[str, float]) -> float:
        extra = EXTRA_CHAR_MARGIN * (len(self.right) - 1)
        return self.gain - thresholds[self.kind + "+" if self.covered else self.kind] - extra


class _Unigram:
    """jieba's own word counts as a unigram model: the fallback scorer without KenLM."""

    def __init__(self, words: WordIndex) -> None:
        self._freq = words.freq
        self._log_total = math.log10(sum(f for f in words.freq.values()))

    def score(self, tokens: Sequence[str], bos: bool = True, eos: bool = True) -> float:
        freq = self._freq
        return sum(math.log10(freq.get(t) or 1) - self._log_total for t in tokens)

    def token_scores(self, tokens: Sequence[str], bos: bool = True, eos: bool = True) -> list[float]:
        freq = self._freq
        out = [math.log10(freq.get(t) or 1) - self._log_total for t in tokens]
        return [*out, 0.0] if eos else out


_SCORER_LOCK = threading.Lock()
_SCORER: dict[str, object] = {}


def _scorer() -> tuple[str, WordLM | _Unigram]:
    with _SCORER_LOCK:
        if "s" not in _SCORER:
            lm = load_lm()
            _SCORER["s"] = ("kenlm", lm) if lm is not None else ("unigram", _Unigram(word_index()))
        return _SCORER["s"]  # type: ignore[return-value]


def reset() -> None:
    """Forget the chosen scorer (tests switch the model path)."""
    with _SCORER_LOCK:
        _SCORER.clear()


def typo_mode() -> tuple[str, str]:
    """("kenlm" | "unigram", why): which scorer the typo checker runs with, in Chinese for reports."""
    ok, reason = lm_status()
    if ok:
        return "kenlm", reason
    return "unigram", f"{reason}；错别字检查降级为词频模式（只用 jieba 词频，发现的错别字更少）"


def _runs(text: str, protected: Sequence[tuple[int, int]]) -> Iterator[tuple[int, str]]:
    """(offset, run) for each maximal run of Han characters outside the protected spans."""
    blocked = bytearray(len(text))
    for s, e in protected:
        s, e = max(0, s), min(len(text), e)
        if e > s:
            blocked[s:e] = b"\x01" * (e - s)
    start = -1
    for i, ch in enumerate(text):
        ok = not blocked[i] and _is_han(ch)
        if ok and start < 0:
            start = i
        elif not ok and start >= 0:
            if i - start >= MIN_WORD:
                yield start, text[start:i]
            start = -1
    if start >= 0 and len(text) - start >= MIN_WORD:
        yield start, text[start:]


def _suspects(run: str, tokens: list[str], words: WordIndex) -> Iterator[tuple[int, int, bool]]:
    """(position in run, index of its token, covered) for characters jieba leaves on their own."""
    freq = words.freq
    proper = words.proper
    pos = 0
    n = len(run)
    for k, tok in enumerate(tokens):
        if len(tok) == 1:
            i = pos
            covered = False
            for length in range(MIN_WORD, MAX_WORD + 1):
                for a in range(max(0, i - length + 1), min(i, n - length) + 1):
                    w = run[a : a + length]
                    if freq.get(w, 0) >= MIN_WORD_FREQ or w in proper:
                        covered = True
                        break
                if covered:
                    break
            yield i, k, covered
        pos += len(tok)


def _fills(run: str, i: int, words: WordIndex) -> dict[str, tuple[int, int]]:
    """Characters that make a dictionary word at position i of run -> (start, end) of the longest such word."""
    out: dict[str, tuple[int, int]] = {}
    n = len(run)
    masked = words.masked
    for length in range(MAX_WORD, MIN_WORD - 1, -1):
        for a in range(max(0, i - length + 1), min(i, n - length) + 1):
            key = run[a:i] + MASK + run[i + 1 : a + length]
            for ch in masked.get(key, ""):
                if ch not in out:
                    out[ch] = (a, a + length)
    return out


def _units(tokens: list[str]) -> Iterator[tuple[int, int]]:
    """(first, last+1) token ranges that a whole homophone word may replace: each word of 2-4 characters, and
    each pair of single characters (a mistyped word jieba could not find, such as 乖买 for 拐卖)."""
    for k, tok in enumerate(tokens):
        if MIN_WORD <= len(tok) <= MAX_WORD:
            yield k, k + 1
        elif len(tok) == 1 and k + 1 < len(tokens) and len(tokens[k + 1]) == 1:
            yield k, k + 2


def _homophones(unit: str, words: WordIndex) -> list[str]:
    out: list[str] = []
    for key in pinyin_keys(unit):
        for w in words.homophones.get(key, "").split("|"):
            if w and w != unit and w not in out:
                out.append(w)
    return out


def candidates(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[Candidate]:
    """Every scored candidate correction (before thresholds), for the checker and for tuning."""
    words = word_index()
    _, scorer = _scorer()
    out: list[Candidate] = []
    for offset, run in _runs(text, protected):
        _RunScorer(run, words, scorer).candidates(offset, out)
    return out


class _RunScorer:
    """Scores corrections of one run of Han characters against its own segmentation."""

    def __init__(self, run: str, words: WordIndex, scorer: WordLM | _Unigram) -> None:
        self.run, self.words, self.scorer = run, words, scorer
        self.tokens = words.tokenizer.lcut(run, HMM=False)
        self.starts = [0]
        for t in self.tokens:
            self.starts.append(self.starts[-1] + len(t))
        self._base: dict[tuple[int, int], float] = {}
        self.unlikely: set[int] = set()  # dictionary words where the text reads badly (see UNLIKELY)

    def gain(self, a: int, b: int, new: str) -> float:
        """log10 gain of making run[a:b] the word ``new``, scored on the words around it.

        The corrected tokens are built, not re-segmented: the tokens that run[a:b] cuts keep their outer parts,
        the new word is one token (jieba would segment it so too, and this is several times cheaper)."""
        tokens, starts = self.tokens, self.starts
        first = bisect_right(starts, a) - 1
        last = bisect_left(starts, b)  # first token starting at or after b
        k0, k1 = max(0, first - CONTEXT_WORDS), min(len(tokens), last + CONTEXT_WORDS)
        bos, eos = k0 == 0, k1 == len(tokens)
        base = self._base.get((k0, k1))
        if base is None:
            base = self._base[(k0, k1)] = self.scorer.score(tokens[k0:k1], bos=bos, eos=eos)
        mid = [new]
        if starts[first] < a:
            mid.insert(0, self.run[starts[first] : a])
        if starts[last] > b:
            mid.append(self.run[b : starts[last]])
        return self.scorer.score([*tokens[k0:first], *mid, *tokens[last:k1]], bos=bos, eos=eos) - base

    def _in_words(self, offset: int, out: list[Candidate]) -> None:
        """Real-word errors: a character of a short dictionary word replaced by one read alike that makes another
        word with its neighbours (旅行 for 履行), tried only in words where the text reads badly (shape and fuzzy
        confusions inside words were tried too: thousands of candidates for a handful of real typos)."""
        run, words, tokens, starts = self.run, self.words, self.tokens, self.starts
        todo = [k for k, t in enumerate(tokens) if len(t) in WORD_CHECK_LENGTHS and t in words.freq]
        if not todo:
            return
        eos = True
        scores = self.scorer.token_scores(tokens, bos=True, eos=eos)
        for k in todo:
            if -(scores[k] + scores[k + 1]) < UNLIKELY:
                continue
            self.unlikely.add(k)
            for i in range(starts[k], starts[k + 1]):
                wrong = run[i]
                near = confusables(wrong)
                for right, (a, b) in _fills(run, i, words).items():
                    kind = near.get(right)
                    if kind in _SOUND:
                        word = run[a:i] + right + run[i + 1 : b]
                        gain = self.gain(a, b, word)
                        out.append(Candidate(offset + i, wrong, right, kind, gain, True, word, offset + a))

    def candidates(self, offset: int, out: list[Candidate]) -> None:
        run, words, tokens, starts = self.run, self.words, self.tokens, self.starts
        freq = words.freq
        for i, _, covered in _suspects(run, tokens, words):
            wrong = run[i]
            near = confusables(wrong)
            for right, (a, b) in _fills(run, i, words).items():
                kind = near.get(right)
                if kind is not None:
                    word = run[a:i] + right + run[i + 1 : b]
                    gain = self.gain(a, b, word)
                    out.append(Candidate(offset + i, wrong, right, kind, gain, covered, word, offset + a))
        self._in_words(offset, out)
        for first, last in _units(tokens):
            a, b = starts[first], starts[last]
            unit = run[a:b]
            kind = "word" if last - first == 1 else "pair"
            unit_freq = freq.get(unit, 0)
            for right in _homophones(unit, words):
                # A much rarer homophone is not what the writer meant (cheap filter before the model).
                if freq.get(right, 0) * HOMOPHONE_RATIO < unit_freq:
                    continue
                gain = self.gain(a, b, right)
                # Report only the characters that change (二登 -> 二等 is a typo of 登).
                p, q = 0, len(unit)
                while unit[p] == right[p]:
                    p += 1
                while unit[q - 1] == right[q - 1]:
                    q -= 1
                out.append(
                    Candidate(
                        offset + a + p, unit[p:q], right[p:q], kind, gain, unit_freq > 0, right, offset + a
                    )
                )


_SOUND = frozenset({"pinyin", "tone"})


def _conflict(c: Candidate, t: Candidate) -> bool:
    """Two corrections exclude each other when either changes a character the other's word relies on."""
    c_word_end, t_word_end = c.word_pos + len(c.word), t.word_pos + len(t.word)
    return (c.pos < t_word_end and t.word_pos < c.end) or (t.pos < c_word_end and c.word_pos < t.end)


def select(cands: Sequence[Candidate], thresholds: dict[str, float]) -> dict[int, Candidate]:
    """The correction reported at each position: the most probable candidate past its margin."""
    taken: list[Candidate] = []
    for c in sorted(cands, key=lambda c: c.margin(thresholds), reverse=True):
        if c.margin(thresholds) < 0:
            break
        if not any(_conflict(c, t) for t in taken):
            taken.append(c)
    return {c.pos: c for c in taken}


def find_typos(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[TextFinding]:
    """Typos in ``text`` as ``content.typo`` deductions; characters inside ``protected`` spans are never read."""
    mode, _ = _scorer()
    best = select(candidates(text, protected), THRESHOLDS[mode])
    findings = []
    for pos in sorted(best):
        c = best[pos]
        findings.append(
            TextFinding(
                check=CHECK,
                start=pos,
                end=c.end,
                text=c.wrong,
                suggestion=c.right,
                severity="deduction",
                message=(
                    f"疑似错别字：“{c.wrong}”应为“{c.right}”（同音词“{c.word}”）"
                    if c.kind in ("word", "pair")
                    else f"疑似错别字：“{c.wrong}”应为“{c.right}”（{_KIND_ZH[c.kind]}字，可组成“{c.word}”）"
                ),
                evidence={"kind": c.kind, "gain": round(c.gain, 2), "word": c.word, "scorer": mode},
            )
        )
    return findings
