"""Speed of the lexicon checks on one core, beside two baselines run in the same process, and start-up time.

    .venv/bin/python bench/text/speed.py               # ~2 M characters of official text
    .venv/bin/python bench/text/speed.py --chars 500000

Corpus: the circulars in ../shared/seeds and the visible text of ../shared/data/gov_html pages, repeated to
``--chars`` and cut into article-sized texts of 3,000 characters (as ``inspect`` calls it); without
../shared, sentences built from the lexicon's own terms. Measured: ``Matcher.find`` (exact forms, near
misses, renamed bodies, titles, order, sensitive wording), ``check_text(typos=False)`` (adds personal data),
against (a) a plain ``str.find`` loop over the lexicon's exact forms and (b) pyahocorasick exact matching of
those forms, which find far less (no near miss). Start-up: a fresh interpreter importing the package and
building the matcher (the shipped lexicon, pinyin tables, division names).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

import ahocorasick  # noqa: E402

from govinspect.text.check import check_text  # noqa: E402
from govinspect.text.html import visible_text  # noqa: E402
from govinspect.text.serious import matcher  # noqa: E402

STARTUP = (
    "import time; t = time.perf_counter(); c = time.process_time(); "
    "from govinspect.text.serious import matcher; matcher(); "
    "from govinspect.text.spam import load; load(); from govinspect.text.hant import converter; converter(); "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def corpus(chars: int) -> list[str]:
    parts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("*.txt"))]
    parts += [
        visible_text(p.read_bytes().decode("utf-8", errors="replace"))
        for p in sorted((SHARED / "data" / "gov_html").glob("*.html"))
    ]
    if not parts:
        lexicon = matcher().lexicon
        parts = [f"各地区各部门要坚持{t.term}，切实做好各项工作。" for t in lexicon.terms]
    text = "\n".join(parts)
    text = (text * (chars // max(len(text), 1) + 1))[:chars]
    return [text[i : i + 3000] for i in range(0, len(text), 3000)]


def rate(label: str, fn, texts: list[str]) -> float:
    """Characters per CPU second of this process (the machine may be shared: wall time says less)."""
    total = sum(len(t) for t in texts)
    start, cpu = time.perf_counter(), time.process_time()
    found = 0
    for text in texts:
        found += fn(text)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"  {label:<46} {total / cpu_seconds:>12,.0f} chars/CPU-s"
        f"  ({total / seconds:,.0f} chars/s wall; {found} hits)"
    )
    return total / cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chars", type=int, default=2_000_000)
    args = parser.parse_args()
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT / "src")},
        )
        runs.append(tuple(float(v) for v in out.stdout.split()))
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    print(
        f"start-up (fresh interpreter, import + build matcher, spam lexicon, 繁體 tables):"
        f" best {cpu:.2f} CPU-s, {wall:.2f} s wall, of 3 (limit 3 s)"
    )

    m = matcher()
    texts = corpus(args.chars)
    day = date(2024, 6, 1)
    forms = sorted(
        {t.term for t in m.lexicon.terms}
        | {r.name for r in m.lexicon.renamed}
        | {leader.name for leader in m.lexicon.leaders}
    )
    print(
        f"corpus {sum(map(len, texts)):,} characters in {len(texts)} texts; {len(forms)} exact lexicon forms,"
        f" {len(m.automaton):,} automaton keys (with near-miss variants and divisions)"
    )

    def str_find(text: str) -> int:
        return sum(1 for form in forms if text.find(form) >= 0)

    exact = ahocorasick.Automaton()
    for form in forms:
        exact.add_word(form, form)
    exact.make_automaton()

    def ac_exact(text: str) -> int:
        return sum(1 for _ in exact.iter(text))

    base_find = rate("baseline: str.find loop over exact forms", str_find, texts)
    base_ac = rate("baseline: pyahocorasick exact forms only", ac_exact, texts)
    ours = rate("Matcher.find (serious errors + sensitive)", lambda t: len(m.find(t, day)), texts)
    full = rate(
        "check_text(typos=False) (+ personal data)",
        lambda t: len(check_text(t, as_of=day, typos=False)),
        texts,
    )
    print(
        f"ratios: Matcher.find / str.find = {ours / base_find:.2f}; / exact AC = {ours / base_ac:.2f};"
        f" check_text / str.find = {full / base_find:.2f}   (target ≥ 500,000 chars/s on one core)"
    )


if __name__ == "__main__":
    main()
