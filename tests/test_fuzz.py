"""Fuzzing (hypothesis) of the parsers that read what strangers wrote: dates, footers and identifiers, registry
files, the text checks and the HTML extraction. No crash, no hang (a per-example deadline), bounded memory.

Example counts are modest so the suite stays fast; ``GOVINSPECT_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py``
(or ``python -m bench.reliability --fuzz 2000``) runs longer. Bugs found are kept below as ``@example`` cases.
"""

from __future__ import annotations

import csv
import os
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from govinspect.extract.dates import (
    find_dates,
    labelled_date,
    meta_pubdate,
    parse_date,
    parse_moment,
    url_date,
)
from govinspect.extract.dating import sequence_number
from govinspect.extract.footer import read_footer
from govinspect.extract.html import flatten_deep, parse_html
from govinspect.extract.listing import homepage_items
from govinspect.extract.page import bounded_anchors, parse_page
from govinspect.registry import identifiers as ids
from govinspect.registry.tabular import RegistryFileError
from govinspect.registry.validate import SITE_HEADERS, read_registry

EXAMPLES = int(os.environ.get("GOVINSPECT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),  # a hang, not a slow machine: the inputs are a few KB
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=os.environ.get("GOVINSPECT_FUZZ_RANDOM") is None,  # CI: the same examples every run
)
AS_OF = date(2020, 3, 31)

# Text near what the parsers look for: digits, date separators, Chinese numerals and labels, identifiers.
DATE_ALPHABET = "0123456789０１２３年月日时分秒-/.:：　 \t\n〇○零一二三四五六七八九十[]【】()（）"
DATE_WORDS = [
    "发布时间",
    "发布日期：",
    "日期:",
    "更新时间",
    "来源：",
    "成文日期",
    "2020",
    "03",
    "31",
    "12:30",
    "T",
]
FOOTER_WORDS = [
    "主办单位：",
    "承办：",
    "网站标识码",
    "3611000001",
    "赣ICP备",
    "12345678号",
    "-1",
    "赣公网安备",
    "36110202000001号",
    "联系电话：",
    "0793-8888888",
    "版权所有",
    "人民政府办公室",
    "ICP",
    "备案号",
]
date_text = st.lists(
    st.one_of(st.text(DATE_ALPHABET, max_size=12), st.sampled_from(DATE_WORDS)), max_size=20
).map("".join)
any_text = st.text(max_size=400)
footer_text = st.lists(
    st.one_of(
        st.text(max_size=8), st.text("0123456789-号备 ：:", max_size=12), st.sampled_from(FOOTER_WORDS)
    ),
    max_size=30,
).map("".join)


# --- dates ------------------------------------------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(date_text, any_text), reference=st.none() | st.dates())
@example(text="2020年2月30日", reference=None)
@example(text="二〇二〇年十三月", reference=AS_OF)
@example(text="-2020-03-27", reference=None)
def test_date_parsers_never_crash_and_give_real_dates(text: str, reference: date | None) -> None:
    for found in find_dates(text, reference=reference):
        assert isinstance(found.date, date) and 0 <= found.start <= found.end <= len(text)
    for fn in (parse_date, parse_moment, labelled_date):
        result = fn(text, reference=reference)
        assert result is None or isinstance(getattr(result, "date", result), date)
    parsed = parse_date(text, reference=reference)
    if parsed is not None:
        # A string that is one date and nothing else is also found by find_dates.
        assert parsed in {m.date for m in find_dates(text, reference=reference)}


@FUZZ
@given(day=st.dates(date(1990, 1, 1), date(2035, 12, 31)), style=st.integers(0, 4))
def test_a_written_date_is_read_back(day: date, style: int) -> None:
    text = [
        f"{day:%Y-%m-%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y/%m/%d}",
        f"{day:%Y.%m.%d}",
        f"发布时间：{day:%Y-%m-%d} 10:30",
    ][style]
    assert labelled_date(text) is None or labelled_date(text).date == day  # type: ignore[union-attr]
    assert [m.date for m in find_dates(text)] == [day]


@FUZZ
@given(url=st.one_of(any_text, date_text.map(lambda t: f"http://x.gov.cn/{t}/t2020_1.html")))
def test_url_dates_and_sequence_numbers(url: str) -> None:
    found = url_date(url)
    assert found is None or isinstance(found, date)
    seq = sequence_number(url)
    assert seq is None or (isinstance(seq[0], int) and isinstance(seq[1], str))


@FUZZ
@given(
    meta=st.dictionaries(st.sampled_from(["PubDate", "pubdate", "publishdate", "x"]) | any_text, date_text)
)
def test_meta_dates(meta: dict[str, str]) -> None:
    found = meta_pubdate(meta)
    assert found is None or isinstance(found, date)


# --- identifiers and footers -------------------------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(footer_text, any_text))
@example(text="赣ICP备12345678号-1赣公网安备 36110202000001 号")
def test_identifier_parsers(text: str) -> None:
    for check in (ids.check_site_code, ids.check_icp, ids.check_psb):
        reason = check(text)
        assert reason is None or (isinstance(reason, str) and reason)
    for find in (ids.find_icp, ids.find_psb, ids.parse_icp, ids.parse_psb):
        found = find(text)
        assert found is None or found.text in ids.normalise(text) or found.text in text
    assert ids.normalise(ids.normalise(text)) == ids.normalise(text)


@FUZZ
@given(
    abbr=st.sampled_from(sorted(ids.PROVINCE_ABBREVIATIONS)),
    number=st.integers(100_000, 9_999_999_999),
    suffix=st.none() | st.integers(1, 999),
)
def test_a_valid_icp_number_is_read_back(abbr: str, number: int, suffix: int | None) -> None:
    text = f"{abbr}ICP备{number}号" + (f"-{suffix}" if suffix is not None else "")
    parsed = ids.parse_icp(text)
    assert parsed is not None and (parsed.abbreviation, parsed.number) == (abbr, str(number))
    assert ids.check_icp(text) is None


@FUZZ
@given(
    footer=footer_text, page=any_text, hidden=any_text, found_by=st.sampled_from(["class", "tail", "none"])
)
def test_footer_reader(footer: str, page: str, hidden: str, found_by: str) -> None:
    facts = read_footer(footer, found_by, page + footer, page + footer + hidden, [], [], host="x.gov.cn")
    assert facts is not None


# --- registry import ---------------------------------------------------------------------------------------------

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "=1+1", '"', "\n", "网站", "3611000001", "http://x.gov.cn/", "运行", "上饶市", "\ufeff"]
    ),
)


@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=12), max_size=8), headers=st.permutations(SITE_HEADERS)
)
def test_registry_import_reports_row_and_column(tmp_path_factory, rows, headers) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("reg")) / "sites.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    try:
        validated = read_registry(path)
    except RegistryFileError as exc:
        assert str(exc)  # a whole-file problem, said in Chinese
        return
    for error in validated.errors:
        assert error.row >= 2 and error.column, error
        assert str(error).startswith(f"第{error.row}行“{error.column}”列：")


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx"]))
@example(data=b"\xff\xfe\x00", suffix=".csv")
@example(data=b"PK\x03\x04garbage", suffix=".xlsx")
def test_registry_import_of_junk_is_a_clear_error(tmp_path_factory, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("junk")) / f"sites{suffix}"
    path.write_bytes(data)
    try:
        validated = read_registry(path)
    except RegistryFileError as exc:
        assert "文件" in str(exc) or str(exc)
        return
    assert all(e.row >= 1 for e in validated.errors)


# --- text checks ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_models() -> None:
    """The lexicon and matchers load once (seconds), before the first example's deadline starts."""
    from govinspect.text.check import check_text

    check_text("预热", as_of=AS_OF, typos=False)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.usefixtures("text_models")
@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(text=st.one_of(any_text, footer_text, date_text))
@example(text="习近平新时代中国特色社会主义思想" * 3)
@example(text="身份证号 36110219900101123X 手机 13912345678")
def test_text_checks(text: str) -> None:
    from govinspect.text.check import check_text

    for finding in check_text(text, as_of=AS_OF, typos=False):
        assert 0 <= finding.start <= finding.end <= len(text)


# --- HTML extraction --------------------------------------------------------------------------------------------

TAGS = ["div", "p", "a", "table", "tr", "td", "span", "ul", "li", "script", "style", "title", "body", "br"]


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 5))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            href = draw(
                st.one_of(any_text, st.sampled_from(["/a.html", "javascript:x", "//x", "http://[::1", "#"]))
            )
            parts.append(f'<a href="{href}">')
        elif kind == 1:
            parts.append(f"<{tag}>")
        elif kind == 2:
            parts.append(f"</{tag}>")
        elif kind == 3:
            parts.append(draw(st.one_of(date_text, footer_text)))
        elif kind == 4:
            parts.append(
                draw(
                    st.sampled_from(['<meta charset="gbk">', "<base href='x:'>", "<!--", "<![CDATA[", "&#0;"])
                )
            )
        else:
            parts.append(draw(any_text))
    return "".join(parts)


def _read_everything(body: bytes) -> None:
    page = parse_page("http://x.gov.cn/col/index.html", body, reference=AS_OF)
    _ = (page.article, page.footer, page.search_forms, page.pagination, page.links, page.title)
    homepage_items(page, reference=AS_OF)


@FUZZ
@given(html=html_documents(), encoding=st.sampled_from(["utf-8", "gbk", "gb18030"]))
@example(html="<div>" * 3000 + "主办单位：某某县人民政府办公室" + "</div>" * 3000, encoding="utf-8")
@example(html='<a href="/p.html">x</a>' * 6000 + "<p>网站标识码3611000001</p>", encoding="utf-8")
def test_html_extraction(html: str, encoding: str) -> None:
    _read_everything(html.encode(encoding, errors="replace"))


@FUZZ
@given(body=st.binary(max_size=4000))
@example(body=b"\x00" * 100)
@example(body=b"\xef\xbb\xbf<html>\xff\xfe</html>")
def test_html_extraction_of_bytes(body: bytes) -> None:
    _read_everything(body)


def test_deep_and_wide_pages_stay_readable_and_bounded() -> None:
    """Regressions of the hostile farm: a page nested 10,000 deep lost everything after level 256 (libxml2's
    limit); a page of 50,000 links cost minutes. Memory of reading each stays bounded."""
    deep = (
        "<html><body>"
        + "<div>" * 10_000
        + "正文"
        + "</div>" * 10_000
        + "<p>主办单位：某某办公室</p></body></html>"
    )
    tracemalloc.start()
    try:
        root = parse_html(deep)
        assert "主办单位" in "".join(root.itertext())
        wide = (
            "<html><body>" + '<a href="/p.html">x</a>' * 50_000 + "<p>网站标识码 3611000001</p></body></html>"
        )
        page = parse_page("http://x.gov.cn/", wide.encode())
        assert len(page.links) == 5000 and "3611000001" in page.body_text
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, peak / 2**20
    assert flatten_deep("<div><br><img/></div>") == "<div><br><img/></div>"
    assert bounded_anchors("<a>" * 3, 2) == "<a><a>"
