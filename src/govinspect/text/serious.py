"""``content.serious_error``: near misses of the lexicon, outdated body names, leaders' titles and order.

One Aho-Corasick pass finds everything: exact lexicon forms (which protect their span), every enumerated near
miss of each entry (substitution by a same/similar-pinyin or similar-shape character, swapped neighbours, a
missing character, a wrong numeral), and half-term anchors from which an extra character is verified. The
enumeration is bounded per entry kind, because precision comes first: short entries only allow the edits that
never produce ordinary wording, and a near miss inside an exact form of another entry is dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

import ahocorasick

from govinspect.text.finding import TextFinding
from govinspect.text.hant import simplified, traditional_form
from govinspect.text.lexicon import Leader, Lexicon, Outdated, Renamed, Sensitive, Term, load_lexicon

CHECK = "content.serious_error"
NUMERALS = "一二三四五六七八九十两"
_EDIT_NAMES = {
    "homophone": "同音字替换",
    "homophone_word": "同音词替换",
    "similar_sound": "近音字替换",
    "shape": "形近字替换",
    "swap": "字序颠倒",
    "missing": "缺字",
    "extra": "多字",
    "numeral": "数字错误",
    "changed": "改字",
}
_CATEGORY_NAMES = {
    "formulation": "规范表述",
    "body": "机构名称",
    "name": "领导人姓名",
    "division": "行政区划名称",
}

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_HISTORY = re.compile(
    r"时任|曾任|曾经|曾|原任|前任|历任|生前|逝世|去世|追悼|更名|改名|改为|组建|不再保留|撤销|机构改革|划入|整合|合并|前身|卸任"
)
_FORMER_LIST = re.compile(r"[原前][\u4e00-\u9fff]{2,9}(?:、|和|及|与)$")
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
# 国土资源部门, 文化部署, 农业部分, 襄樊市民, 襄樊市场, 大港区域, 体系建设部际联席会议 (inter-ministerial):
# ordinary wording, not the body or division
_NOT_A_NAME_AFTER = "门署分位件民场域际"
_QUOTED = re.compile(r"[“\"「『‘]([一二三四五六七八九十两][^“”\"「」『』‘’\n]{1,7})[”\"」』’]")
_OPEN_QUOTES = '“"「『‘'
_CLOSE_QUOTES = '”"」』’'
_LIST_GAP = re.compile(r"[”\"」』’]?[、，,；;和及与]\s*[\u4e00-\u9fff]{0,4}?[“\"「『‘]?")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@cache
def _common_chars() -> str:
    """GB2312 level-1 characters: the 3,755 in everyday use, the ones an input method offers first."""
    chars = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            if high == 0xD7 and low > 0xF9:
                break
            chars.append(bytes([high, low]).decode("gb2312"))
    return "".join(chars)


def _fuzzy(syllable: str) -> str:
    """Collapse the pairs that speakers and input methods confuse (zh/z, ch/c, sh/s, l/n, -ng/-n)."""
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(a):
            syllable = b + syllable[2:]
            break
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    for a, b in (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in")):
        if syllable.endswith(a):
            return syllable[: -len(a)] + b
    return syllable


class _Sounds:
    """Toneless readings of characters and the common characters behind each reading."""

    def __init__(self) -> None:
        from pypinyin import Style, pinyin

        self._pinyin = pinyin
        self._style = Style.NORMAL
        self.readings: dict[str, tuple[str, ...]] = {}
        self.same: dict[str, set[str]] = {}
        self.similar: dict[str, set[str]] = {}
        for ch in _common_chars():
            for reading in self.of(ch):
                self.same.setdefault(reading, set()).add(ch)
                self.similar.setdefault(_fuzzy(reading), set()).add(ch)

    def of(self, ch: str) -> tuple[str, ...]:
        found = self.readings.get(ch)
        if found is None:
            found = tuple(dict.fromkeys(self._pinyin(ch, style=self._style, heteronym=True)[0]))
            self.readings[ch] = found
        return found

    def homophones(self, ch: str) -> set[str]:
        out: set[str] = set()
        for reading in self.of(ch):
            out |= self.same.get(reading, set())
        out.discard(ch)
        return out

    def similar_sounds(self, ch: str) -> set[str]:
        out: set[str] = set()
        for reading in self.of(ch):
            out |= self.similar.get(_fuzzy(reading), set())
        return out - self.homophones(ch) - {ch}


@dataclass(frozen=True, slots=True)
class Policy:
    """Which near misses of an entry are errors. Ends are risky: 生态环境部 → 生态环境不(断)."""

    homophone: bool = True
    similar_sound: bool = False
    shape: bool = True
    first: str = "all"  # all | shape | none: which substitutions the first character allows
    last: str = "all"
    swap: bool = True
    missing: bool = False
    extra: bool = False
    numeral: bool = True
    word: bool = False  # two neighbours replaced by a same-sounding word: 社会主义 → 社会注意


def policy_for(kind: str, length: int, numeral: bool = True) -> Policy:
    """The near-miss kinds checked for an entry; the benchmark generates variants from the same table."""
    if kind == "formulation":
        if length >= 6:
            return Policy(similar_sound=True, missing=True, extra=True, numeral=numeral, word=True)
        return Policy(numeral=numeral)
    if kind == "body":
        return Policy(last="shape", numeral=False)
    if kind == "name":
        return Policy(first="shape", numeral=False)
    return Policy(first="none", last="none", numeral=False)  # division


@dataclass(frozen=True, slots=True)
class Variant:
    canonical: str
    edit: str
    category: str
    leader: Leader | None = None
    title_only: bool = False


@cache
def _two_char_words() -> frozenset[str]:
    """Two-character words of jieba's dictionary (frequency ≥ 5): what a pinyin input method offers."""
    from importlib.util import find_spec

    spec = find_spec("jieba")  # the file only: importing jieba costs time the matcher does not need
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    if not path.exists():
        return frozenset()
    data = path.read_text(encoding="utf-8")
    return frozenset(w for w, f in re.findall(r"^(\S\S) (\d+)", data, re.M) if len(f) > 1 or f >= "5")


def variants(
    term: str,
    policy: Policy,
    sounds: _Sounds,
    shapes: dict[str, set[str]],
    words: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Every near miss of ``term`` allowed by ``policy``, mapped to its edit kind."""
    out: dict[str, str] = {}
    n = len(term)
    if policy.word and words:
        for i in range(1, n - 2):
            pair = term[i : i + 2]
            for a in sounds.homophones(pair[0]) | {pair[0]}:
                for b in sounds.homophones(pair[1]) | {pair[1]}:
                    word = a + b
                    if word != pair and word in words and a != pair[0] and b != pair[1]:
                        out.setdefault(term[:i] + word + term[i + 2 :], "homophone_word")
    for i, ch in enumerate(term):
        mode = policy.first if i == 0 else policy.last if i == n - 1 else "all"
        if mode == "none":
            continue
        subs: dict[str, str] = {}
        if policy.shape:
            for other in shapes.get(ch, ()):
                subs.setdefault(other, "shape")
        if mode == "all":
            if policy.homophone:
                for other in sounds.homophones(ch):
                    subs.setdefault(other, "homophone")
            if policy.similar_sound:
                for other in sounds.similar_sounds(ch):
                    subs.setdefault(other, "similar_sound")
        if ch in NUMERALS:
            for other in NUMERALS:
                if other != ch:
                    if policy.numeral:
                        subs[other] = "numeral"
                    else:
                        subs.pop(other, None)
        for other, edit in subs.items():
            out.setdefault(term[:i] + other + term[i + 1 :], edit)
    if policy.swap:
        lo = 0 if policy.first == "all" else 1
        hi = n - 1 if policy.last == "all" else n - 2
        for i in range(lo, hi):
            if term[i] != term[i + 1]:
                out.setdefault(term[:i] + term[i + 1] + term[i] + term[i + 2 :], "swap")
    if policy.missing:
        for i in range(1, n - 1):
            out.setdefault(term[:i] + term[i + 1 :], "missing")
    out.pop(term, None)
    return out


@dataclass(frozen=True, slots=True)
class Numbered:
    """A numbered formulation (四个意识, 三严三实): its numerals and 个 are its frame, the rest its words."""

    term: str
    frame: frozenset[int]
    context: tuple[str, ...]

    @classmethod
    def of(cls, term: Term) -> Numbered:
        frame = frozenset(i for i, ch in enumerate(term.term) if ch in NUMERALS or ch == "个")
        return cls(term.term, frame, term.context)

    def edit(self, form: str) -> str | None:
        """``changed``/``missing``/``extra`` when ``form`` is this formulation with one edit of its words and
        the frame intact (a changed numeral is the ``numeral`` near miss, found by the automaton)."""
        term, n = self.term, len(self.term)
        if len(form) == n:
            diffs = [i for i in range(n) if form[i] != term[i]]
            if len(diffs) == 1 and diffs[0] not in self.frame and _is_cjk(form[diffs[0]]):
                return "changed"
            return None
        lead = min(i for i in range(n) if i not in self.frame)
        if len(form) == n + 1:
            for i in range(lead, n):
                if form[:i] == term[:i] and form[i + 1 :] == term[i:] and _is_cjk(form[i]):
                    return "extra"
            return None
        if len(form) == n - 1 and n >= 4:
            for i in range(lead, n):
                if i not in self.frame and form == term[:i] + term[i + 1 :]:
                    return "missing"
        return None


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


class Matcher:
    """The compiled lexicon: one automaton, built once per lexicon (about half a second)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        sounds = _Sounds()
        shapes: dict[str, set[str]] = {}
        for group in lexicon.shape_groups:
            for ch in group:
                shapes.setdefault(ch, set()).update(c for c in group if c != ch)
        payloads: dict[str, list[tuple]] = {}

        def add(key: str, payload: tuple) -> None:
            payloads.setdefault(key, []).append(payload)

        exact: set[str] = set()
        for term in lexicon.terms:
            exact.add(term.term)
            exact.update(term.accept)
        exact.update(lexicon.valid)
        exact.update(n for n in lexicon.all_division_names if len(n) >= 3)
        exact.update(r.name for r in lexicon.renamed)
        exact.update(leader.name for leader in lexicon.leaders)
        exact.update(s.term for s in lexicon.sensitive)
        for key in exact:
            add(key, (0, len(key)))
        self.known = frozenset(exact)

        entries: list[tuple[str, str, Policy, Leader | None]] = []
        for term in lexicon.terms:
            entries.append((term.term, term.kind, policy_for(term.kind, len(term.term), term.numeral), None))
        for leader in lexicon.leaders:
            if leader.near_miss != "never" and len(leader.name) >= 3:
                entries.append((leader.name, "name", policy_for("name", len(leader.name)), leader))
        for name in sorted(lexicon.divisions):
            if len(name) >= 5:
                entries.append((name, "division", policy_for("division", len(name)), None))
        self.entries = entries
        self.numbered = tuple(
            Numbered.of(term)
            for term in lexicon.terms
            if term.kind == "formulation"
            and term.numeral
            and term.term[0] in NUMERALS
            and len(term.term) <= 6
        )
        listed = {n.term for n in self.numbered}
        self.numbered_forms = frozenset(
            form for term in lexicon.terms if term.term in listed for form in (term.term, *term.accept)
        )
        taken: set[str] = set()
        words = _two_char_words()
        for canonical, kind, policy, leader in entries:
            for form, edit in variants(canonical, policy, sounds, shapes, words).items():
                if form in exact or form in taken:
                    continue
                taken.add(form)
                title_only = leader is not None and leader.near_miss == "title"
                add(form, (1, len(form), Variant(canonical, edit, kind, leader, title_only)))
            if policy.extra:
                n = len(canonical)
                h = (n + 1) // 2
                add(canonical[:h], (5, h, canonical, 0))
                add(canonical[h - 1 :], (5, n - h + 1, canonical, h))
        for renamed in lexicon.renamed:
            add(renamed.name, (2, len(renamed.name), renamed))
        for leader in lexicon.leaders:
            add(leader.name, (3, len(leader.name), leader))
        for outdated in lexicon.outdated:
            add(outdated.term, (7, len(outdated.term), outdated))
        for sensitive in lexicon.sensitive:
            add(sensitive.term, (6, len(sensitive.term), sensitive))
        automaton = ahocorasick.Automaton()
        for key, value in payloads.items():
            automaton.add_word(key, tuple(value))
        automaton.make_automaton()
        self.automaton = automaton
        self.before_forms = sorted(
            ((form, key) for key, office in lexicon.offices.items() for form in office.before),
            key=lambda item: -len(item[0]),
        )
        self.after_forms = sorted(
            ((form, key) for key, office in lexicon.offices.items() for form in office.after),
            key=lambda item: -len(item[0]),
        )

    # -- scanning -------------------------------------------------------------------------------------------

    def scan(self, text: str) -> tuple[list[tuple[int, int]], list[tuple]]:
        """Exact spans of known forms, and raw hits ``(code, start, end, payload...)`` in text order."""
        spans: list[tuple[int, int]] = []
        hits: list[tuple] = []
        for end, payloads in self.automaton.iter(text):
            stop = end + 1
            for payload in payloads:
                code = payload[0]
                if code == 0:
                    spans.append((stop - payload[1], stop))
                else:
                    hits.append((code, stop - payload[1], stop, *payload[2:]))
        return spans, hits

    def exact_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of lexicon terms, divisions, leaders and body names: the typo checker leaves them alone."""
        return self.scan(text)[0]

    def find(self, text: str, as_of: date) -> list[TextFinding]:
        return self.analyse(text, as_of)[0]

    def analyse(self, text: str, as_of: date) -> tuple[list[TextFinding], list[tuple[int, int]]]:
        """Findings, and the exact spans of known forms (the typo checker's protected spans).

        A traditional-character text is judged on its same-length simplified reading; its findings quote the
        original characters and suggest the canonical form in traditional characters.
        """
        reading = simplified(text)
        if reading is text:
            return self._analyse(text, as_of)
        findings, spans = self._analyse(reading, as_of)
        return [_in_original(f, text) for f in findings], spans

    def _analyse(self, text: str, as_of: date) -> tuple[list[TextFinding], list[tuple[int, int]]]:
        spans, hits = self.scan(text)
        spans.sort()
        starts = [s for s, _ in spans]
        findings: list[TextFinding] = []
        near: list[tuple[int, int, Variant]] = []
        names: list[tuple[int, int, Leader]] = []
        for hit in hits:
            code, start, stop = hit[0], hit[1], hit[2]
            if code == 1:
                near.append((start, stop, hit[3]))
            elif code == 5:
                found = self._extra(text, start - hit[4], hit[3])
                if found is not None:
                    near.append(found)
            elif code == 2:
                finding = self._renamed(text, start, stop, hit[3], as_of, spans, starts)
                if finding is not None:
                    findings.append(finding)
            elif code == 3:
                names.append((start, stop, hit[3]))
            elif code == 7:
                finding = self._outdated(text, start, stop, hit[3], as_of)
                if finding is not None:
                    findings.append(finding)
            elif code == 6:
                findings.append(_sensitive(text, start, stop, hit[3]))
        if self.numbered:
            near.extend(self._numbered(text, spans, starts))
        findings.extend(self._near_misses(text, near, spans, starts))
        names = [n for n in names if not _covered(n[0], n[1], spans, starts, strict=True)]
        findings.extend(f for n in names if (f := self._title(text, *n, as_of)) is not None)
        findings.extend(self._order(text, names, as_of))
        findings.sort(key=lambda f: (f.start, f.end))
        return findings, spans

    # -- near misses ----------------------------------------------------------------------------------------

    def _extra(self, text: str, start: int, term: str) -> tuple[int, int, Variant] | None:
        """``term`` with one extra character inside it, starting at ``start``; None otherwise."""
        n = len(term)
        if start < 0:
            return None
        candidate = text[start : start + n + 1]
        if len(candidate) != n + 1:
            return None
        i = 0
        while i < n and candidate[i] == term[i]:
            i += 1
        if i == 0 or i >= n or candidate[i + 1 :] != term[i:] or not _is_cjk(candidate[i]):
            return None
        return start, start + n + 1, Variant(term, "extra", "formulation")

    def _near_misses(
        self, text: str, near: list[tuple[int, int, Variant]], spans: list, starts: list[int]
    ) -> list[TextFinding]:
        near.sort(key=lambda item: (item[0], -(item[1] - item[0])))
        kept: list[TextFinding] = []
        for start, stop, variant in sorted(near, key=lambda item: (-(len(item[2].canonical)), item[0])):
            if _covered(start, stop, spans, starts, strict=False):
                continue
            if variant.title_only and not self._has_title(text, start, stop, variant.leader):
                continue
            if any(f.start < stop and start < f.end for f in kept):
                continue
            found = text[start:stop]
            what = _CATEGORY_NAMES[variant.category]
            kept.append(
                TextFinding(
                    check=CHECK,
                    start=start,
                    end=stop,
                    text=found,
                    message=f"{what}疑似有误（{_EDIT_NAMES[variant.edit]}）：“{found}”应为“{variant.canonical}”",
                    suggestion=variant.canonical,
                    severity="veto",
                    evidence={
                        "canonical": variant.canonical,
                        "edit": variant.edit,
                        "category": variant.category,
                        "lexicon_version": self.lexicon.version,
                    },
                )
            )
        return kept

    def _numbered(self, text: str, spans: list, starts: list[int]) -> list[tuple[int, int, Variant]]:
        """Numbered formulations with any one word character changed, missing or added (“两个拥护”).

        Any character, not only a similar one, so the evidence must come from elsewhere: the form is quoted
        (or listed right beside a correct numbered formulation) and it follows the formulation's usual verb or
        shares its sentence with another numbered formulation. 两个月, 四个方面 never qualify.
        """
        if not any(ch in text for ch in "个严学"):
            return []
        anchors = [(a, b) for a, b in spans if text[a:b] in self.numbered_forms]
        out: list[tuple[int, int, Variant]] = []
        for m in _QUOTED.finditer(text):
            start, stop = m.span(1)
            found = self._numbered_edit(m.group(1))
            if found is None or _covered(start, stop, spans, starts, strict=False):
                continue
            numbered, edit = found
            before = text[max(0, m.start() - 8) : m.start()].rstrip()
            verb = any(before.endswith(word) for word in numbered.context)
            if verb or _beside(text, start, stop, anchors):
                out.append((start, stop, Variant(numbered.term, edit, "formulation")))
        for a, b in anchors:  # unquoted lists: 增强四个意识、坚定四个自信、做到两个拥护
            for numbered in self.numbered:
                n = len(numbered.term)
                for start in range(b, min(len(text) - n, b + 8) + 1):
                    if text[start] == numbered.term[0] and _LIST_GAP.fullmatch(text, b, start):
                        out.extend(self._listed(text, start, numbered, spans, starts))
                for start in range(max(0, a - n - 8), a - n + 1):
                    if text[start] == numbered.term[0] and _LIST_GAP.fullmatch(text, start + n, a):
                        out.extend(self._listed(text, start, numbered, spans, starts))
        return out

    def _listed(
        self, text: str, start: int, numbered: Numbered, spans: list, starts: list[int]
    ) -> list[tuple[int, int, Variant]]:
        stop = start + len(numbered.term)
        form = text[start:stop]
        if (
            form in self.known
            or numbered.edit(form) != "changed"
            or _covered(start, stop, spans, starts, strict=False)
        ):
            return []
        return [(start, stop, Variant(numbered.term, "changed", "formulation"))]

    def _numbered_edit(self, form: str) -> tuple[Numbered, str] | None:
        if form in self.known:
            return None
        for numbered in self.numbered:
            if numbered.term[0] == form[0] and (edit := numbered.edit(form)) is not None:
                return numbered, edit
        return None

    def _has_title(self, text: str, start: int, stop: int, leader: Leader | None) -> bool:
        if leader is None:
            return False
        held = {t.office for t in leader.tenures}
        for form, key in self.before_forms:
            if key in held and text.endswith(form, 0, start):
                return True
        return any(key in held and text.startswith(form, stop) for form, key in self.after_forms)

    # -- renamed bodies -------------------------------------------------------------------------------------

    def _renamed(
        self, text: str, start: int, stop: int, renamed: Renamed, as_of: date, spans: list, starts: list[int]
    ) -> TextFinding | None:
        if as_of < renamed.since:
            return None
        if stop < len(text) and (text[stop] in _NOT_A_NAME_AFTER or text[stop] == "令"):
            return None
        if _covered(start, stop, spans, starts, strict=True):
            return None  # part of a longer known form: 银保监会 inside 中国银保监会's successor wording
        if _historical(text, start, stop, renamed.since.year):
            return None
        if _bare_label(text, start, stop):
            return None  # a link list or table cell on an old page is not prose calling the body current
        what = "行政区划名称" if renamed.category == "division" else "机构名称"
        evidence = {
            "since": renamed.since.isoformat(),
            "as_of": as_of.isoformat(),
            "category": renamed.category,
        }
        if renamed.source:
            evidence["source"] = renamed.source
        return TextFinding(
            check=CHECK,
            start=start,
            end=stop,
            text=renamed.name,
            message=(
                f"{what}已变更：“{renamed.name}”在{_day(renamed.since)}前已撤销或更名，现为“{renamed.now}”"
                if renamed.category == "division"
                else f"{what}已变更：“{renamed.name}”自{_day(renamed.since)}起不再使用，现为“{renamed.now}”"
            ),
            suggestion=renamed.now,
            severity="veto" if renamed.severity == "veto" else "notice",
            evidence=evidence,
        )

    def _outdated(self, text: str, start: int, stop: int, entry: Outdated, as_of: date) -> TextFinding | None:
        if as_of < entry.since:
            return None
        head = text[max(0, start - 8) : start].rstrip(_OPEN_QUOTES + " ")
        if not any(head.endswith(verb) for verb in entry.context):
            return None  # named, not professed: 从“三个自信”到“四个自信”
        if _historical(text, start, stop, entry.since.year):
            return None
        return TextFinding(
            check=CHECK,
            start=start,
            end=stop,
            text=text[start:stop],
            message=f"规范表述已更新：“{entry.term}”自{_day(entry.since)}起应为“{entry.now}”",
            suggestion=entry.now,
            severity="veto",
            evidence={
                "canonical": entry.now,
                "edit": "outdated",
                "category": "formulation",
                "since": entry.since.isoformat(),
                "source": entry.source,
                "lexicon_version": self.lexicon.version,
            },
        )

    # -- leaders --------------------------------------------------------------------------------------------

    def _title(self, text: str, start: int, stop: int, leader: Leader, as_of: date) -> TextFinding | None:
        form_start, form_end, office = start, stop, None
        for form, key in self.before_forms:
            if text.endswith(form, 0, start):
                form_start, office = start - len(form), key
                break
        if office is None:
            for form, key in self.after_forms:
                if text.startswith(form, stop):
                    form_end, office = stop + len(form), key
                    break
        if office is None:
            return None
        if text[max(0, form_start - 2) : form_start].endswith(("原", "前", "时任", "曾任")):
            return None
        tenures = [t for t in leader.tenures if t.office == office]
        if any(t.holds(as_of) for t in tenures):
            return None
        span = text[form_start:form_end]
        past = [t for t in tenures if t.end is not None and t.end < as_of]
        future = [t for t in tenures if t.start > as_of]
        evidence = {"leader": leader.name, "office": office, "as_of": as_of.isoformat(), "category": "name"}
        if past:
            latest = max(past, key=lambda t: t.end or as_of)
            assert latest.end is not None
            if _historical(text, form_start, form_end, latest.end.year):
                return None
            current = [t.office for t in leader.tenures if t.holds(as_of)]
            return TextFinding(
                check=CHECK,
                start=form_start,
                end=form_end,
                text=span,
                message=f"领导人职务表述错误：{leader.name}已于{_day(latest.end)}卸任{office}，不应作为现任职务表述",
                suggestion=(current[0] + leader.name) if current else None,
                severity="veto",
                evidence=evidence,
            )
        if future:
            first = min(future, key=lambda t: t.start)
            return TextFinding(
                check=CHECK,
                start=form_start,
                end=form_end,
                text=span,
                message=f"领导人职务须核实：{leader.name}自{_day(first.start)}起任{office}，晚于文本日期{_day(as_of)}",
                severity="notice",
                evidence=evidence,
            )
        held = "、".join(dict.fromkeys(t.office for t in leader.tenures if t.holds(as_of))) or "该职务"
        stale = as_of > self.lexicon.correct_as_of
        return TextFinding(
            check=CHECK,
            start=form_start,
            end=form_end,
            text=span,
            message=f"领导人职务表述错误：{leader.name}未担任{office}（{_day(as_of)}时任{held}）"
            + (f"；词库截至{_day(self.lexicon.correct_as_of)}，请核实" if stale else ""),
            severity="notice" if stale else "veto",
            evidence=evidence,
        )

    def _order(self, text: str, names: list[tuple[int, int, Leader]], as_of: date) -> list[TextFinding]:
        """Leaders listed together must follow the protocol order of the period the text speaks for."""
        out: list[TextFinding] = []
        groups: list[list[tuple[int, int, Leader]]] = []
        for item in sorted(names, key=lambda n: n[0]):
            if groups and _list_gap(text[groups[-1][-1][1] : item[0]]):
                groups[-1].append(item)
            else:
                groups.append([item])
        for group in groups:
            listed = [g[2].name for g in group]
            if len(group) < 2 or len(set(listed)) != len(listed):
                continue
            periods = [r for r in self.lexicon.rankings if set(listed) <= set(r.order)]
            current = [r for r in periods if r.covers(as_of)]
            if not current:
                continue
            if any(_in_order(listed, r.order) for r in periods):
                continue
            ranking = current[0]
            expected = sorted(listed, key=ranking.order.index)
            start, stop = group[0][0], group[-1][1]
            out.append(
                TextFinding(
                    check=CHECK,
                    start=start,
                    end=stop,
                    text=text[start:stop],
                    message=f"领导人排序错误：按{ranking.name}排序应为“{'、'.join(expected)}”",
                    suggestion="、".join(expected),
                    severity="veto" if len(group) >= 3 and as_of <= self.lexicon.correct_as_of else "notice",
                    evidence={"ranking": ranking.name, "as_of": as_of.isoformat(), "category": "name"},
                )
            )
        return out


def _in_original(finding: TextFinding, original: str) -> TextFinding:
    """A finding made on the simplified reading, quoting the traditional text it was read from."""
    quoted = original[finding.start : finding.end]
    if quoted == finding.text:
        return finding
    suggestion = finding.suggestion
    if suggestion is not None and finding.check == CHECK:
        suggestion = traditional_form(suggestion)
    return replace(
        finding,
        text=quoted,
        message=finding.message.replace(f"“{finding.text}”", f"“{quoted}”", 1),
        suggestion=suggestion,
        evidence={**finding.evidence, "script": "traditional", "read_as": finding.text},
    )


def _beside(text: str, start: int, stop: int, anchors: list[tuple[int, int]]) -> bool:
    """Whether a correct numbered formulation stands in the same sentence as [start, stop)."""
    for a, b in anchors:
        if b <= start and start - b <= 40 and not _SENTENCE_END.search(text, b, start):
            return True
        if a >= stop and a - stop <= 40 and not _SENTENCE_END.search(text, stop, a):
            return True
    return False


def _bare_label(text: str, start: int, stop: int) -> bool:
    """Whether the name stands alone on its line (no other Chinese text around it)."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", stop)
    line = text[a : b if b >= 0 else len(text)]
    rest = line.replace(text[start:stop], "", 1)
    return not any(_is_cjk(ch) for ch in rest)


def _list_gap(gap: str) -> bool:
    return 0 < len(gap) <= 4 and gap.replace("同志", "").strip(" 、，,") == ""


def _in_order(listed: list[str], order: tuple[str, ...]) -> bool:
    ranks = [order.index(n) for n in listed]
    return ranks == sorted(ranks)


def _covered(start: int, stop: int, spans: list, starts: list[int], *, strict: bool) -> bool:
    """Whether an exact known form covers [start, stop) (strictly longer when ``strict``)."""
    i = bisect_right(starts, start)
    while i > 0:
        i -= 1
        a, b = spans[i]
        if b >= stop and (not strict or b - a > stop - start):
            return True
        if start - a > 64:
            break
    return False


def _historical(text: str, start: int, stop: int, year_limit: int) -> bool:
    """Whether the sentence around [start, stop) speaks of the past (a year, 原/时任, a cited document)."""
    lo = max(0, start - 200)
    head = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    a = head[-1] if head else lo
    m = _SENTENCE_END.search(text, stop, stop + 200)
    b = m.start() if m else min(len(text), stop + 200)
    sentence = text[a:b]
    if _HISTORY.search(sentence):
        return True
    if any(int(y) <= year_limit for y in _YEAR.findall(sentence)):
        return True
    if text[max(a, start - 2) : start].endswith(("原", "前")):
        return True
    if _FORMER_LIST.search(text, max(a, start - 14), start):
        return True  # 原崇文区、宣武区: 原 applies to the whole list
    return text.rfind("《", a, start) > text.rfind("》", a, start)


def _sensitive(text: str, start: int, stop: int, entry: Sensitive) -> TextFinding:
    return TextFinding(
        check="content.sensitive",
        start=start,
        end=stop,
        text=text[start:stop],
        message=(
            f"错敏词：“{entry.term}”——{entry.advice}"
            if entry.severity == "deduction"
            else f"敏感表述，请人工确认：“{entry.term}”——{entry.advice}"
        ),
        severity=entry.severity,
        evidence={"term": entry.term},
    )


@cache
def _default_matcher() -> Matcher:
    return Matcher(load_lexicon())


def matcher(lexicon: Lexicon | None = None) -> Matcher:
    """The compiled shipped lexicon (built once), or a matcher for a curator's lexicon."""
    return _default_matcher() if lexicon is None else Matcher(lexicon)


def find_serious_errors(text: str, *, as_of: date, lexicon: Lexicon | None = None) -> list[TextFinding]:
    """Serious wording errors and sensitive-wording notices in ``text``, judged at ``as_of``.

    ``as_of`` is the date the text speaks for: an article's publication date when known, else the inspection
    time point (a 2017 article rightly calls 国土资源部 by its name).
    """
    return matcher(lexicon).find(text, as_of)


__all__ = ["CHECK", "Matcher", "Policy", "Term", "find_serious_errors", "matcher", "policy_for", "variants"]
