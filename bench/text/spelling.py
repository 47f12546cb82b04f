"""Spelling benchmark for the typo checker (``govinspect.text.typo``), beside pycorrector's published baseline.

Data (read in place, never copied): ``../shared/data/csc/sighan15_test.tsv`` (SIGHAN-15 test, ``wrong<TAB>correct``)
and ``../shared/data/csc/odw_train.tsv`` (official-document sentences, ``label<TAB>wrong<TAB>correct``). The
official-document set is split by line number: even lines are the development half the candidate classifier is
fitted on (``--train``: boosted trees over the candidates' features, with the correct side of each development
sentence and the correct sentences of ``ec_law_test.tsv`` as text without typos), odd lines the held-out half,
never trained on; both are reported, the held-out one is the honest figure. SIGHAN-15 is never trained on.

    .venv/bin/python bench/text/spelling.py                # all sets, timing, start-up, pycorrector attempt
    .venv/bin/python bench/text/spelling.py --limit 200    # first 200 sentences of each set (quick)
    .venv/bin/python bench/text/spelling.py --train        # fit the candidate classifier on the development half
    .venv/bin/python bench/text/spelling.py --tune         # sweep the fallback margins on the development half
    .venv/bin/python bench/text/spelling.py --unigram      # the weaker mode (no KenLM model)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GOVINSPECT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "csc"
PYCORRECTOR_PUBLISHED_F1 = 0.3147  # pycorrector README: KenLM corrector, SIGHAN-15, sentence level

DEFINITIONS = """\
Metrics (positions where the wrong and the correct sentence differ are the gold errors; findings are predictions):
  sentence detection   P = sentences whose flagged positions equal the gold positions exactly / sentences flagged;
                       R = the same count / sentences with errors (SIGHAN-15 detection level, as in the CSC
                       literature: a sentence with two errors and one found is not detected)
  sentence correction  the same with positions *and* suggested characters equal to the gold ones
  char detection/corr  P = flagged characters that are errors (with the right suggestion) / flagged characters;
                       R = the same count / gold error characters
  flagged-any P        sentences flagged that contain at least one error / sentences flagged (binary detection)
  pycorrector-style    pycorrector's eval_model_batch: TP = erroneous sentence corrected to the gold sentence,
                       FP = correct sentence changed, FN = erroneous sentence not corrected exactly; F1 of
                       P = TP/(TP+FP), R = TP/(TP+FN). Its README gives 0.3147 for the KenLM corrector on SIGHAN-15."""


@dataclass
class Row:
    wrong: str
    right: str

    @property
    def gold(self) -> dict[int, str]:
        return {i: b for i, (a, b) in enumerate(zip(self.wrong, self.right, strict=True)) if a != b}


def load(name: str) -> list[Row] | None:
    path = DATA / name
    if not path.is_file():
        return None
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        wrong, right = parts[-2], parts[-1]
        if len(wrong) == len(right):  # a length-changing edit is not a spelling error (one line in odw)
            rows.append(Row(wrong, right))
    return rows


def predictions(findings: Sequence[object]) -> dict[int, str]:
    """Position -> suggested character of each flagged character: a finding that changes several characters
    (乖买 -> 拐卖) flags each of them (counting only its first character undercounted detections)."""
    out: dict[int, str] = {}
    for f in findings:
        suggestion = f.suggestion or ""  # type: ignore[attr-defined]
        for j in range(f.end - f.start):  # type: ignore[attr-defined]
            out[f.start + j] = suggestion[j] if len(suggestion) == f.end - f.start else ""  # type: ignore[attr-defined]
    return out


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def metrics(rows: Sequence[Row], preds: Sequence[dict[int, str]]) -> dict[str, float]:
    sd_tp = sc_tp = flagged = positive = any_ok = 0
    c_pred = c_gold = cd_tp = cc_tp = 0
    py_tp = py_fp = py_fn = 0
    for row, pred in zip(rows, preds, strict=True):
        gold = row.gold
        positive += bool(gold)
        flagged += bool(pred)
        any_ok += bool(pred) and bool(gold)
        if pred and gold:
            sd_tp += pred.keys() == gold.keys()
            sc_tp += pred == gold
        c_pred += len(pred)
        c_gold += len(gold)
        cd_tp += sum(1 for p in pred if p in gold)
        cc_tp += sum(1 for p, ch in pred.items() if gold.get(p) == ch)
        if gold:
            py_tp += pred == gold
            py_fn += pred != gold
        else:
            py_fp += bool(pred)
    out = {}
    for name, tp in (("sent_det", sd_tp), ("sent_cor", sc_tp)):
        p, r = tp / flagged if flagged else 0.0, tp / positive if positive else 0.0
        out |= {f"{name}_p": p, f"{name}_r": r, f"{name}_f1": f1(p, r)}
    for name, tp in (("char_det", cd_tp), ("char_cor", cc_tp)):
        p, r = tp / c_pred if c_pred else 0.0, tp / c_gold if c_gold else 0.0
        out |= {f"{name}_p": p, f"{name}_r": r, f"{name}_f1": f1(p, r)}
    p = py_tp / (py_tp + py_fp) if py_tp + py_fp else 0.0
    r = py_tp / (py_tp + py_fn) if py_tp + py_fn else 0.0
    out |= {"py_p": p, "py_r": r, "py_f1": f1(p, r), "flagged_any_p": any_ok / flagged if flagged else 0.0}
    out["flagged"] = float(c_pred)
    return out


def show(title: str, m: dict[str, float], extra: str = "") -> None:
    print(f"\n{title}{extra}")
    for name, label in (
        ("sent_det", "sentence detection "),
        ("sent_cor", "sentence correction"),
        ("char_det", "char detection     "),
        ("char_cor", "char correction    "),
        ("py", "pycorrector-style  "),
    ):
        print(f"  {label}  P {m[name + '_p']:.4f}  R {m[name + '_r']:.4f}  F1 {m[name + '_f1']:.4f}")
    print(f"  flagged-any P        {m['flagged_any_p']:.4f}")


def startup(fresh_cache: bool) -> tuple[float, float]:
    """(wall, CPU) seconds from a fresh interpreter to the first checked sentence (import, model and word index
    loads); CPU time is the fair figure on a shared machine."""
    code = (
        "import time; t = time.perf_counter(); c = time.process_time(); "
        "from govinspect.text.typo import find_typos; "
        "find_typos('国家自然科学奖分为一等奖、二登奖两个等级。'); "
        "print(time.perf_counter() - t, time.process_time() - c)"
    )
    env = dict(os.environ)
    if fresh_cache:
        env["XDG_CACHE_HOME"] = str(
            Path(os.environ.get("TMPDIR", "/tmp")) / f"govinspect-bench-{os.getpid()}"
        )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


SPEED_CODE = """
import sys, time
sys.path.insert(0, {bench!r})
from spelling import speed_text
text = speed_text()
from govinspect.text.typo import find_typos
from govinspect.text.confusion import word_index
find_typos("国家自然科学奖分为一等奖、二登奖两个等级。")
tok = word_index().tokenizer
import jieba
plain = jieba.Tokenizer()
plain.initialize()
half = len(text) // 2
parts = [text[:half], text[half:]]
out = []
for name, fn in (("typo", find_typos), ("jieba", lambda t: plain.lcut(t, HMM=False))):
    for k, part in enumerate(parts):
        w, c = time.perf_counter(), time.process_time()
        for para in part.split("\\n"):
            fn(para)
        out.append((name, k, len(part), time.perf_counter() - w, time.process_time() - c))
for row in out:
    print(*row)
"""


def speed_text() -> str:
    """A large text for the speed run: the correct side of every CSC sentence here, each once, ten a paragraph
    (about 150,000 characters; not a warm re-run of the accuracy sets' wrong sentences)."""
    seen: dict[str, None] = {}
    for name in ("odw_train.tsv", "sighan15_test.tsv", "ec_law_test.tsv"):
        path = DATA / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                seen.setdefault(line.split("\t")[-1], None)
    sentences = list(seen)
    return "\n".join("".join(sentences[i : i + 10]) for i in range(0, len(sentences), 10))


def speed() -> None:
    """Characters per second of find_typos on a large text in a fresh interpreter, first and second half (the
    second is the steady state: confusion sets of its characters mostly known), beside plain jieba segmentation
    (HMM off) of the same text in the same process. CPU seconds are the fair figure on a shared machine."""
    code = SPEED_CODE.format(bench=str(Path(__file__).resolve().parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.strip().splitlines()]
    fig = {(r[0], int(r[1])): (int(r[2]), float(r[3]), float(r[4])) for r in rows}
    print("\nspeed on a large text (correct side of all CSC sets, each sentence once), fresh process:")
    for k, label in ((0, "first half "), (1, "second half")):
        n, wall, cpu = fig[("typo", k)]
        _, _, jcpu = fig[("jieba", k)]
        print(
            f"  {label} {n:,} chars: typo {n / cpu:,.0f} chars/s CPU ({n / wall:,.0f} wall); "
            f"plain jieba {n / jcpu:,.0f} chars/s CPU; typo/jieba time ratio {cpu / jcpu:.1f}"
        )


def as_cli(rows: Sequence[Row]) -> None:
    """The same sentences as ``govinspect text check --lines`` reports them (``check_text`` as of today): a
    near miss of a lexicon name (工业和言息化部) is a serious wording error there, not a typo, and a body renamed
    since the text was written is one too (国土资源部, judged as of today). Character detection of the typo
    findings alone, and of every finding that suggests a replacement of the same length."""
    from datetime import date

    from govinspect.text.check import check_text

    today = date.today()
    found = [check_text(r.wrong, as_of=today) for r in rows]
    for label, keep in (
        ("content.typo only          ", lambda f: f.check == "content.typo"),
        ("with serious wording errors", lambda f: len(f.suggestion or "") == f.end - f.start),
    ):
        m = metrics(rows, [predictions([f for f in fs if keep(f)]) for fs in found])
        print(
            f"  as `text check --lines`, {label}: char det P {m['char_det_p']:.4f} R {m['char_det_r']:.4f}; "
            f"sentence det P {m['sent_det_p']:.4f} R {m['sent_det_r']:.4f}"
        )


def real_text_false_findings() -> None:
    """Typo findings on correct official writing as users get them (``check_text``: identifiers, footers and
    lexicon forms protected): the visible text of the saved government pages in ../shared/data/gov_html and the
    circulars in ../shared/seeds. Every finding there is a false one (a person checked each page); they are listed
    so a reader can judge them. Reported, never tuned on."""
    from datetime import date

    from correct_writing import correct_writing

    from govinspect.text.check import check_text

    shared = DATA.parent.parent
    texts = correct_writing(shared)
    if not texts:
        print(f"\nfalse findings on correct real text: skipped, no pages under {shared}")
        return
    chars = 0
    found = []
    for path, _, text in texts:
        chars += len(text)
        for f in check_text(text, as_of=date.today()):
            if f.check == "content.typo":
                context = text[max(0, f.start - 8) : f.end + 8].replace("\n", " ")
                found.append(f"{path.name}: {f.text} -> {f.suggestion}  …{context}…")
    print(
        f"\nfalse findings on correct real text ({len(texts)} pages and circulars, {chars:,} characters): "
        f"{len(found)}, {len(found) / chars * 10_000:.1f} per 10,000 characters"
    )
    for line in found:
        print(f"  {line}")


def try_pycorrector(rows: Sequence[Row]) -> None:
    """Run pycorrector's KenLM corrector beside ours when it is installed with its model; else say why not."""
    print(f"\npycorrector KenLM corrector (published SIGHAN-15 F1 {PYCORRECTOR_PUBLISHED_F1}, its README):")
    try:
        import pycorrector  # type: ignore[import-not-found]
    except Exception as exc:  # an ImportError, or its transformers/torch imports failing
        print(f"  not runnable here: `import pycorrector` fails ({type(exc).__name__}: {exc}).")
        print("  pycorrector 1.x imports transformers, datasets and torch at package import, and its KenLM")
        print(
            "  corrector downloads a 2.8 GB character model (zh_giga.no_cna_cmn.prune01244.klm) on first use;"
        )
        print("  no model downloads are allowed here, so the published figure is quoted instead.")
        return
    model = Path.home() / ".pycorrector" / "datasets" / "zh_giga.no_cna_cmn.prune01244.klm"
    if not model.is_file():
        print(
            f"  not runnable here: pycorrector imports but its model {model} is absent (it would download it)."
        )
        return
    corrector = pycorrector.Corrector()
    t = time.perf_counter()
    preds = []
    for row in rows:
        out = corrector.correct(row.wrong)["target"]
        preds.append({i: b for i, (a, b) in enumerate(zip(row.wrong, out, strict=False)) if a != b})
    dt = time.perf_counter() - t
    show(
        "pycorrector KenLM, SIGHAN-15",
        metrics(rows, preds),
        f"  ({sum(len(r.wrong) for r in rows) / dt:.0f} chars/s)",
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="first N sentences of each set")
    ap.add_argument("--tune", action="store_true", help="sweep the margins on the odw development half")
    ap.add_argument(
        "--train",
        action="store_true",
        help="fit the candidate classifier (data/typo_model.json) on the odw development half only",
    )
    ap.add_argument("--unigram", action="store_true", help="run the weaker mode (as without the KenLM model)")
    ap.add_argument("--no-pycorrector", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument(
        "--sets",
        default="",
        help="comma-separated substrings of the set names to run (dev,held-out,SIGHAN,real)",
    )
    args = ap.parse_args()
    if args.unigram:
        os.environ["GOVINSPECT_TYPO_LM"] = ""
    sighan, odw = load("sighan15_test.tsv"), load("odw_train.tsv")
    if sighan is None or odw is None:
        print(f"skipped: the CSC data is not at {DATA} (see ../shared/data/README.md)")
        return 0
    sets = {
        "odw dev (even lines)": odw[0::2],
        "odw held-out (odd lines)": odw[1::2],
        "SIGHAN-15 test": sighan,
    }
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}

    from govinspect.text import typo

    mode, why = typo.typo_mode()
    print(DEFINITIONS)
    print(f"\nscorer: {mode} — {why}")
    if args.train:
        train(sets["odw dev (even lines)"], load("ec_law_test.tsv") or [])
        return 0
    how, _ = typo.judge()
    if how == "trees":
        from govinspect.text.typo_model import load_model

        model = load_model(typo.FEATURES)
        assert model is not None
        print(
            f"judge: boosted trees ({len(model.trees)} trees, threshold {model.threshold:+.2f}): {model.note}"
        )
    else:
        print(
            f"judge: margins (log10 gain; kind+ when the original already is a word): {typo.THRESHOLDS[mode]}"
        )

    if args.tune:
        tune([typo.candidates(r.wrong) for r in sets["odw dev (even lines)"]], sets["odw dev (even lines)"])
        return 0

    for name, rows in sets.items():
        if args.sets and not any(x in name for x in args.sets.split(",")):
            continue
        t = time.perf_counter()
        preds = [predictions(typo.find_typos(r.wrong)) for r in rows]
        dt = time.perf_counter() - t
        chars = sum(len(r.wrong) for r in rows)
        show(
            f"govinspect {mode}, {name}: {len(rows)} sentences",
            metrics(rows, preds),
            f"  ({chars / dt:,.0f} chars/s)",
        )
        if "held-out" in name:
            as_cli(rows)
    if not args.sets or "real" in args.sets:
        real_text_false_findings()
    if not args.no_speed:
        speed()
    if not args.no_startup:
        cached = min((startup(False) for _ in range(3)), key=lambda r: r[1])
        fresh = startup(True)
        print(
            f"\nstart-up to first result (best of 3): {cached[1]:.2f} CPU-s ({cached[0]:.2f} s wall) with the "
            f"word-index cache; {fresh[1]:.2f} CPU-s ({fresh[0]:.2f} s wall) building it (first run on a machine)"
        )
    if not args.no_pycorrector:
        try_pycorrector(sets["SIGHAN-15 test"])
        print(
            f"  govinspect on the same set, pycorrector-style F1 as above; published pycorrector KenLM: "
            f"{PYCORRECTOR_PUBLISHED_F1}"
        )
    return 0


# Out-of-fold character precision the threshold is set for: the target is 0.90 on held-out official text, and the
# held-out half has come out up to 0.02 below the out-of-fold figure.
TRAIN_TARGET_P = 0.95
TRAIN_FOLDS = 4
# Out-of-fold false findings per 10,000 characters of correct text the threshold may allow. The correct side of
# this set is text written around typo-prone words: at the same threshold the checker errs there three to four times
# as often as on the real pages and circulars ``real_text_false_findings`` reads (9.9 against 2.9 per 10,000).
TRAIN_MAX_FALSE = 10.0
TRAIN_PARAMS = {"n_trees": 200, "depth": 3, "rate": 0.08, "min_leaf": 20}


def _selected(
    per_row: Sequence[Sequence[tuple[float, object]]], rows: Sequence[Row], threshold: float
) -> dict[str, float]:
    from govinspect.text import typo

    preds = []
    for scored in per_row:
        cands = [c for _, c in scored]
        score = {id(c): s for s, c in scored}
        chosen = typo.select(cands, lambda c, score=score: score[id(c)] - threshold)  # type: ignore[misc]
        preds.append({p + j: c.right[j] for p, c in chosen.items() for j in range(len(c.right))})
    return metrics(rows, preds)


def train(rows: Sequence[Row], law: Sequence[Row] = ()) -> None:
    """Fit the boosted trees on the candidates of the development half and of the legal-domain set
    ``ec_law_test.tsv`` (labels: the candidate's characters are the gold corrections), choose the threshold on
    out-of-fold scores (4 folds by sentence): character precision TRAIN_TARGET_P on the development half and at
    most TRAIN_MAX_FALSE false findings per 10,000 characters of the correct sentences (a page of correct
    official text holds far fewer typos than this set, so precision here alone would let too many through),
    refit on everything and write ``src/govinspect/text/data/typo_model.json``. The legal set's 527 sentences
    with an error (law is the register closest to official documents) double the real typos the trees learn
    from; SIGHAN-15 and the held-out half stay unseen."""
    import numpy as np
    from gbdt import fit, leaf

    from govinspect.text import typo
    from govinspect.text.typo_model import DEFAULT_PATH, TreeModel, reset_models

    t0 = time.process_time()
    # The correct side of each sentence with an error is trained on too, as text whose every candidate is wrong:
    # real text holds far fewer typos than this set, and a real word must not be "corrected" because a more
    # common one reads alike (察看/查看, 问责/问题).
    fit_rows = [*rows, *(Row(r.right, r.right) for r in rows if r.gold)]
    fold_of = [k % TRAIN_FOLDS for k in range(len(rows))]
    fold_of += [k % TRAIN_FOLDS for k, r in enumerate(rows) if r.gold]
    fit_rows += [*law, *(Row(r.right, r.right) for r in law if r.gold)]
    fold_of += [k % TRAIN_FOLDS for k in range(len(law))]
    fold_of += [k % TRAIN_FOLDS for k, r in enumerate(law) if r.gold]
    per_row = [[c for c in typo.candidates(r.wrong) if c.feats is not None] for r in fit_rows]
    labels = [
        [all(r.gold.get(c.pos + j) == c.right[j] for j in range(len(c.right))) for c in cs]
        for r, cs in zip(fit_rows, per_row, strict=True)
    ]
    print(
        f"candidates: {sum(map(len, per_row))} ({sum(map(sum, labels))} right) in {len(fit_rows)} sentences "
        f"(the development half and the correct side of its sentences with errors), "
        f"{time.process_time() - t0:.0f} s CPU"
    )
    oof: list[list[tuple[float, object]]] = [[] for _ in fit_rows]
    for fold in range(TRAIN_FOLDS):
        x = np.array([c.feats for k, cs in enumerate(per_row) if fold_of[k] != fold for c in cs])
        y = np.array([v for k, ls in enumerate(labels) if fold_of[k] != fold for v in ls], float)
        base, trees = fit(x, y, **TRAIN_PARAMS)  # type: ignore[arg-type]
        for k in range(len(fit_rows)):
            if fold_of[k] == fold:
                oof[k] = [(base + sum(leaf(t, np.array(c.feats)) for t in trees), c) for c in per_row[k]]
    # Correct text (the correct side of every sentence, and the sentences without an error): findings there are
    # false alarms, counted per 10,000 characters out of fold, as a page of correct official text would see them.
    clean = [k for k, r in enumerate(fit_rows) if not r.gold]
    clean_chars = sum(len(fit_rows[k].wrong) for k in clean)
    oof_clean, clean_rows = [oof[k] for k in clean], [fit_rows[k] for k in clean]
    oof = oof[: len(rows)]  # the threshold is chosen on the development half as the benchmark reads it
    grid = [x / 10 for x in range(30, -31, -1)]
    threshold, reached = grid[0], True
    print("out-of-fold on the development half (and false findings in its correct text):")
    for t in grid:  # from the strictest down: the lowest threshold before either bound is first broken
        m = _selected(oof, rows, t)
        false = _selected(oof_clean, clean_rows, t)["flagged"] / clean_chars * 10_000
        if t * 10 % 5 == 0 or -1 < t < 1:
            print(
                f"  threshold {t:+.1f}: char det P {m['char_det_p']:.4f} R {m['char_det_r']:.4f}; "
                f"{false:.2f} false findings per 10,000 correct characters"
            )
        reached = reached and m["char_det_p"] >= TRAIN_TARGET_P and false <= TRAIN_MAX_FALSE
        if reached:
            threshold = t
    x = np.array([c.feats for cs in per_row for c in cs])
    y = np.array([v for ls in labels for v in ls], float)
    base, trees = fit(x, y, **TRAIN_PARAMS)  # type: ignore[arg-type]
    note = (
        f"fitted by bench/text/spelling.py --train on the even lines of odw_train.tsv ({len(rows)} sentences) "
        f"and ec_law_test.tsv ({len(law)} sentences), each with the correct side of its sentences with errors; "
        f"{len(y)} candidates, {int(y.sum())} right); threshold: out-of-fold char precision >= {TRAIN_TARGET_P} and at most {TRAIN_MAX_FALSE} "
        f"false findings per 10,000 characters of correct text; "
        f"{TRAIN_PARAMS}"
    )
    model = TreeModel(typo.FEATURES, base, tuple(tuple(tuple(n) for n in t) for t in trees), threshold, note)
    DEFAULT_PATH.write_text(model.to_json(), encoding="utf-8")
    reset_models()
    print(f"threshold {threshold:+.1f}; wrote {DEFAULT_PATH} ({DEFAULT_PATH.stat().st_size:,} bytes)")


def tune(cands: Sequence[Sequence[object]], rows: Sequence[Row], target: float = 0.95) -> None:
    """Coordinate ascent over the margins: the highest character-detection recall (findings that are real typos)
    at precision >= target on the development half (0.95: the held-out half loses a few points, and must keep
    0.90)."""
    from govinspect.text import typo

    mode, _ = typo.typo_mode()
    th = dict(typo.THRESHOLDS[mode])
    grid = [x / 4 for x in range(4, 49)]
    # A candidate below the lowest margin of the grid is never chosen: drop it once, not in every evaluation.
    cands = [[c for c in cs if c.gain >= grid[0]] for cs in cands]  # type: ignore[attr-defined]

    def evaluate(t: dict[str, float]) -> dict[str, float]:
        preds = [{p: c.right for p, c in typo.select(cs, t).items()} for cs in cands]  # type: ignore[arg-type]
        return metrics(rows, preds)

    def key(m: dict[str, float]) -> tuple[bool, float, float]:
        ok = m["char_det_p"] >= target
        return (ok, m["char_det_r"] if ok else m["char_det_p"], m["char_det_p"])

    best = evaluate(th)
    for _ in range(3):
        for name in list(th):
            for value in grid:
                trial = th | {name: value}
                m = evaluate(trial)
                if key(m) > key(best):
                    best, th = m, trial
        print(
            f"  pass: char det P {best['char_det_p']:.4f} R {best['char_det_r']:.4f}, "
            f"sentence det P {best['sent_det_p']:.4f} R {best['sent_det_r']:.4f}"
        )
    print(f"  margins: {th}")


if __name__ == "__main__":
    sys.exit(main())
