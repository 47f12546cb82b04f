"""The typo checker's word knowledge: official words jieba lacks, shared-part shape confusion, homophones the
model's text knows better than jieba's counts, and the word index's fast pinyin readings (typo.py, confusion.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypinyin import lazy_pinyin

from govinspect.text import confusion, typo
from govinspect.text.lm import DEFAULT_LM_PATHS

needs_lm = pytest.mark.skipif(
    not any(Path(p).is_file() for p in DEFAULT_LM_PATHS),
    reason="Debian's libime-data-language-model is not installed",
)


def test_phrase_readings_are_those_of_lazy_pinyin() -> None:
    """The word index reads most words from pypinyin's tables directly; the reading must be lazy_pinyin's."""
    words = [w for w, f in confusion.word_index().freq.items() if f >= 10 and 2 <= len(w) <= 4]
    sample = [*words[::40], "银行", "行长", "重庆", "长大", "重新", "调查研究", "朝阳区", "音乐会"]
    for word in sample:
        assert confusion.pinyin_keys(word)[0] == " ".join(lazy_pinyin(word)), word


def test_shared_part_confusion() -> None:
    for wrong, right in (("债", "责"), ("责", "债"), ("剑", "险"), ("测", "则"), ("隐", "急")):
        assert confusion.confusion_kind(wrong, right) == "part", (wrong, right)
        assert confusion.confusables(wrong).get(right) == "part", (wrong, right)
    # Sharing a radical is not sharing a distinctive part: 江/海 have only 氵 in common.
    assert "海" not in confusion._PARTS.neighbours("江")
    assert confusion.confusion_kind("江", "海") != "part"


@needs_lm
@pytest.mark.parametrize(
    ("text", "wrong", "right"),
    [("保证履行经济债任审计职责", "债", "责"), ("推动发展电梯责任保剑", "剑", "险")],
)
def test_shared_part_typo_found(text: str, wrong: str, right: str) -> None:
    found = [(f.text, f.suggestion, f.evidence["kind"]) for f in typo.find_typos(text)]
    assert (wrong, right, "part") in found
    assert "部件相同的形近字" in typo.find_typos(text)[0].message


def test_official_words_data() -> None:
    words = typo.official_words()
    assert {"设区市", "打牢", "微博", "河长制", "民宗委"} <= words
    assert all(len(w) >= 2 and all(typo._is_han(ch) for ch in w) for w in words)


@needs_lm
@pytest.mark.parametrize(
    "text",
    [
        "各设区市人民政府要着力打牢工作基础。",
        "请在官方微博和抖音号同步发布。",
        "省民宗委、市民宗局按职责分工负责。",
        "全面推行河长制，压实属地责任。",
    ],
)
def test_official_words_never_corrected(text: str) -> None:
    assert typo.find_typos(text) == []


@needs_lm
def test_official_word_segmented_as_one_word() -> None:
    typo.candidates("各设区市")  # adds the official words to the segmenter's counts
    assert "设区市" in confusion.word_index().tokenizer.lcut("各设区市人民政府", HMM=False)


@needs_lm
def test_homophone_the_model_knows_better_than_jieba() -> None:
    """jieba counts 申领 12 times and 神灵 301: the model's own text decides whether 申领 is tried."""
    freq = confusion.word_index().freq
    assert freq["申领"] * typo.HOMOPHONE_RATIO < freq["神灵"]
    assert any(c.word == "申领" for c in typo.candidates("居民居住证神灵发放办法"))
