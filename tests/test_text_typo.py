"""The typo checker: known typos found with the right suggestion, correct official text left alone, protected
spans never touched, and the weaker mode when the KenLM model is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.text import lm as lm_module
from govinspect.text import typo
from govinspect.text.confusion import confusion_kind, pinyin_keys, word_index
from govinspect.text.lm import DEFAULT_LM_PATHS

HAVE_LM = any(Path(p).is_file() for p in DEFAULT_LM_PATHS)
needs_lm = pytest.mark.skipif(not HAVE_LM, reason="Debian's libime-data-language-model is not installed")

# Correct official sentences (written for this test; typical 通知/工作报告 wording).
CORRECT = [
    "各地区各部门要认真贯彻落实党中央、国务院决策部署，切实做好安全生产工作。",
    "县人民政府办公室关于印发2020年政务公开工作要点的通知",
    "请各单位于3月31日前将自查报告报送市政府办公室。",
    "进一步优化营商环境，深化“放管服”改革，推进政务服务标准化、规范化、便利化。",
    "市场监管部门依法加强对食品药品安全的监督检查。",
    "本条例自发布之日起施行。",
]


@pytest.fixture(autouse=True)
def _fresh_scorer(monkeypatch: pytest.MonkeyPatch):
    """Each test chooses its scorer from the environment it sets."""
    monkeypatch.delenv("GOVINSPECT_TYPO_LM", raising=False)
    lm_module.reset_lm()
    typo.reset()
    yield
    lm_module.reset_lm()
    typo.reset()


def test_confusion_kinds() -> None:
    assert confusion_kind("局", "据") == "tone"
    assert confusion_kind("登", "等") == "tone"
    assert confusion_kind("呆", "保") == "pinyin"
    assert confusion_kind("国", "火") is None
    assert pinyin_keys("银行")[0] == "yin hang"


def test_shape_confusion_from_debian_tables() -> None:
    from govinspect.text.confusion import shape_available

    if not shape_available():
        pytest.skip("rime-data-stroke / rime-data-cangjie5 are not installed")
    assert confusion_kind("未", "末") == "shape"
    assert confusion_kind("木", "术") == "shape"


def test_word_index_excludes_person_names() -> None:
    words = word_index()
    # 安倍 (a person's name) is in jieba's dictionary but must never be proposed as a correction.
    assert "安倍" in words.freq
    assert "倍" not in words.fill("安\x00")
    assert "据" in words.fill("数\x00")


@needs_lm
@pytest.mark.parametrize(
    ("text", "wrong", "right"),
    [
        ("国家自然科学奖分为一等奖、二登奖两个等级。", "登", "等"),
        pytest.param(
            "结合当前乖买人口犯罪的特点，依法严厉打击。",
            "乖买",
            "拐卖",
            # a known miss: 拐卖 is rare in jieba's counts and in the 1998 corpus the trees weigh, and its
            # candidate scores just under the threshold (found by the model fitted without the corpus counts)
            marks=pytest.mark.xfail(strict=True, reason="拐卖 scores under the threshold"),
        ),
        ("市政府召开民营企业坐谈会。", "坐", "座"),
        ("我们要一如继往地做好工作。", "继", "既"),
        ("对符合条件的困难群众纳入最低生活暴涨范围。", "暴涨", "保障"),
        ("本条例自发布之日起施形。", "形", "行"),
    ],
)
def test_known_typo_found_with_suggestion(text: str, wrong: str, right: str) -> None:
    findings = typo.find_typos(text)
    hits = [f for f in findings if f.text == wrong]
    assert hits, findings
    f = hits[0]
    assert text[f.start : f.end] == wrong
    assert f.suggestion == right
    assert f.check == "content.typo" and f.severity == "deduction"
    assert wrong in f.message and right in f.message


@needs_lm
@pytest.mark.parametrize("text", CORRECT)
def test_correct_official_text_gives_nothing(text: str) -> None:
    assert typo.find_typos(text) == []


@needs_lm
def test_proper_names_and_footer_identifiers_not_rewritten() -> None:
    footer = "沪公网安备 31010402000123号 沪ICP备05085446号"
    assert [f for f in typo.find_typos(footer) if f.suggestion and "倍" in f.suggestion] == []
    assert typo.find_typos(footer, protected=[(0, len(footer))]) == []


@needs_lm
def test_protected_spans_untouched() -> None:
    text = "本条例自发布之日起施形。本办法自发布之日起施形。"
    first = text.index("形")
    second = text.index("形", first + 1)
    found = {f.start for f in typo.find_typos(text)}
    assert {first, second} <= found
    protected = typo.find_typos(text, protected=[(first - 4, first + 1)])
    assert [f.start for f in protected] == [second]
    # A span that cuts a run in two: no finding may start or end inside it.
    for f in typo.find_typos(text, protected=[(first, first + 1)]):
        assert f.end <= first or f.start >= first + 1


def test_degraded_mode_without_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVINSPECT_TYPO_LM", str(tmp_path / "absent.lm"))
    mode, why = typo.typo_mode()
    assert mode == "unigram"
    assert "absent.lm" in why and "降级" in why
    for text in CORRECT:
        assert typo.find_typos(text) == []
    findings = typo.find_typos("国家自然科学奖分为一等奖、二登奖两个等级。")
    assert all(f.check == "content.typo" and f.severity == "deduction" for f in findings)


def test_model_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVINSPECT_TYPO_LM", "")
    assert typo.typo_mode()[0] == "unigram"
    assert lm_module.load_lm() is None


def test_non_han_text_and_empty_input() -> None:
    assert typo.find_typos("") == []
    assert typo.find_typos("ICP 05085446 http://www.gov.cn/ 2020-03-31") == []


def test_confusables_agree_with_pairwise_confusion() -> None:
    """The indexed confusion sets give exactly what comparing every pair of characters would."""
    from govinspect.text.confusion import confusables

    chars = sorted(word_index().chars)
    for wrong in "未己登局呆很湖形连制正斤":
        expected = {r: k for r in chars if (k := confusion_kind(wrong, r)) is not None}
        assert confusables(wrong) == expected, wrong


@needs_lm
@pytest.mark.parametrize(
    ("text", "wrong", "right"),
    [
        # Real-word errors: the typo sits inside a word jieba knows (互连, 配制, 正策 segment as words or parts).
        ("加快发展工业互连网，推动制造业转型升级。", "连", "联"),
        ("发挥市场在资源配制中的决定性作用。", "制", "置"),
        ("完善相关法规正策体系。", "正", "政"),
    ],
)
def test_typo_inside_dictionary_word(text: str, wrong: str, right: str) -> None:
    hits = [f for f in typo.find_typos(text) if f.text == wrong]
    assert hits and hits[0].suggestion == right


@needs_lm
def test_token_scores_sum_to_sentence_score() -> None:
    lm = lm_module.load_lm()
    assert lm is not None
    tokens = ["国务院", "办公厅", "关于", "印发", "通知"]
    scores = lm.token_scores(tokens)
    assert len(scores) == len(tokens) + 1  # and the end of the sentence
    assert sum(scores) == pytest.approx(lm.score(tokens), abs=1e-3)


@needs_lm
@pytest.mark.parametrize(
    "text",
    [
        # Real words: 问责 and 维稳 are missing from jieba's dictionary but known to the model's vocabulary;
        # 察看/查看 and 法治/法制 are pairs of the curated list where both words are right.
        "对工作推进不力、措施落实不到位的单位和个人严肃问责。",
        "扎实做好信访维稳工作，确保社会大局稳定。",
        "市政府主要负责同志带队深入工业园区，实地察看安全生产工作开展情况。",
        "全面推进依法治国，加快建设法治政府。",
    ],
)
def test_real_words_not_flagged(text: str) -> None:
    assert typo.find_typos(text) == []


def test_valid_pairs_data() -> None:
    pairs = typo.valid_pairs()
    assert frozenset(("察看", "查看")) in pairs
    assert all(len(p) == 2 for p in pairs)


@needs_lm
def test_traditional_text_read_in_simplified_form() -> None:
    # A page in traditional characters (gov.cn serves 繁体 pages): its characters are not typos, its typos are.
    text = "國家自然科學獎分為一等獎、二登獎兩個等級。"
    findings = typo.find_typos(text)
    assert [(f.text, f.suggestion) for f in findings] == [("登", "等")]
    assert text[findings[0].start : findings[0].end] == "登"
    assert typo.find_typos("湖北省人民政府辦公廳關於全省政府網站抽查情況的通報") == []


def test_traditional_characters_in_simplified_text_left_alone() -> None:
    # One traditional form in simplified text is protected, not converted; 乾 (of 乾隆, 乾坤) is a character
    # simplified writing uses and is never read as 干.
    text = "乾隆年间修建的古建筑得到有效保护，詳見附件"
    view, protected = typo.simplified_view(text, [])
    assert view == text
    assert (text.index("詳"), text.index("詳") + 1) in protected
    assert (0, 1) not in protected


@needs_lm
def test_close_corrections_judged_again_together() -> None:
    # 起 -> 期 reads better only while 施形 is still wrong beside it; once 施行 is applied it is dropped.
    text = "本条例自发布之日起施形。"
    assert [(f.text, f.suggestion) for f in typo.find_typos(text)] == [("形", "行")]


def test_tree_model_compiled_matches_walk() -> None:
    import random

    from govinspect.text.typo_model import load_model, parse

    model = load_model(typo.FEATURES)
    assert model is not None, "data/typo_model.json is missing or was fitted on other features"
    rng = random.Random(5)
    for _ in range(200):
        x = [rng.uniform(-8, 8) for _ in typo.FEATURES]
        assert model.score(x) == pytest.approx(model.walk(x), abs=1e-9)
    assert parse(model.to_json()) == model
    # A model fitted on other features is not used: the checker falls back to the margins.
    assert load_model((*typo.FEATURES, "extra")) is None


@needs_lm
def test_judged_by_trees_with_the_model() -> None:
    how, _ = typo.judge()
    assert how == "trees"
    f = typo.find_typos("国家自然科学奖分为一等奖、二登奖两个等级。")[0]
    assert f.evidence["judge"] == "trees"
