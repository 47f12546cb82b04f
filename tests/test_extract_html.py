"""extract.html: decoding (BOM, header, meta, lying declarations, binaries), parsing junk, visibility, text."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.extract.html import Layout, decode_html, normalise_charset, parse_html, text_of

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "gov_html"
PAGE = "<html><head>{head}<title>政府网站</title></head><body><p>中华人民共和国国务院办公厅通知公告栏目</p></body></html>"


def _page(head: str = "") -> str:
    return PAGE.format(head=head)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("GB_2312-80", "gb18030"),
        ("x-gbk", "gb18030"),
        ("'gb18030'", "gb18030"),
        ("UTF8", "utf-8"),
        ("utf-8", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("big5", "big5"),
        ("no-such-charset", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_charset(label: str | None, codec: str | None) -> None:
    assert normalise_charset(label) == codec


def test_gbk_declared_in_meta_decodes_as_gb18030() -> None:
    body = _page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    d = decode_html(body, header_charset=None)
    assert d.encoding == "gb18030" and not d.mismatch and "\ufffd" not in d.text
    assert "国务院办公厅" in d.text and d.declared_meta == "gb18030"


def test_gb18030_only_characters_decode() -> None:
    # 㐀 (CJK extension A) is not in GBK; a GBK-labelled page that contains it still decodes via gb18030
    body = _page('<meta charset="gbk">').replace("通知", "通知㐀").encode("gb18030")
    d = decode_html(body, header_charset="GBK")
    assert "㐀" in d.text and d.encoding == "gb18030" and not d.mismatch


def test_meta_says_utf8_but_bytes_are_gbk() -> None:
    body = _page('<meta charset="utf-8">').encode("gbk")
    d = decode_html(body, header_charset=None)
    assert d.encoding == "gb18030" and d.mismatch and "国务院办公厅" in d.text


def test_header_says_gbk_but_bytes_are_utf8() -> None:
    body = _page('<meta charset="utf-8">').encode("utf-8")
    d = decode_html(body, header_charset="gbk")
    assert d.encoding == "utf-8" and d.mismatch and d.declared_header == "gb18030"
    assert "国务院办公厅" in d.text


def test_header_says_utf8_but_bytes_are_gbk() -> None:
    d = decode_html(_page('<meta charset="gbk">').encode("gbk"), header_charset="utf-8")
    assert d.encoding == "gb18030" and d.mismatch and "国务院办公厅" in d.text


def test_consistent_utf8_is_not_a_mismatch() -> None:
    d = decode_html(_page('<meta charset="utf-8">').encode(), header_charset="UTF-8")
    assert d.encoding == "utf-8" and not d.mismatch and d.replacements == 0


def test_bom_wins_over_declarations() -> None:
    body = b"\xef\xbb\xbf" + _page('<meta charset="gbk">').encode()
    d = decode_html(body, header_charset=None)
    assert d.bom and d.encoding == "utf-8" and d.text.startswith("<html>") and d.mismatch
    d16 = decode_html(b"\xff\xfe" + _page().encode("utf-16-le"), header_charset=None)
    assert d16.encoding == "utf-16-le" and "国务院" in d16.text


def test_undeclared_pages_are_detected() -> None:
    assert decode_html(_page().encode("gbk"), header_charset=None).encoding == "gb18030"
    assert decode_html(_page().encode("utf-8"), header_charset=None).encoding == "utf-8"


def test_pure_ascii_never_mismatches() -> None:
    d = decode_html(b"<html><body>hello</body></html>", header_charset="gbk")
    assert d.text.endswith("</html>") and not d.mismatch


def test_junk_bytes_never_raise() -> None:
    junk = bytes(range(128, 256)) * 50 + b"<p>x</p>" + bytes([0xFF, 0xFE, 0x81]) * 7
    d = decode_html(junk, header_charset="utf-8")
    assert isinstance(d.text, str) and d.encoding
    parse_html(d.text)  # the parser copes too


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        bytes([0, 1, 2, 3, 4, 5, 6, 7, 8]) * 100,
    ],
)
def test_binaries_are_flagged(body: bytes) -> None:
    d = decode_html(body, header_charset="utf-8")
    assert d.looks_binary and d.text == ""


def test_html_is_not_binary() -> None:
    assert not decode_html(_page().encode(), header_charset=None).looks_binary
    assert not decode_html(b"", header_charset=None).looks_binary


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real pages not available: {SHARED} is absent")
def test_real_page_meta_gb2312_actually_utf8() -> None:
    body = (SHARED / "people-1.meta-gb2312-actually-utf8.html").read_bytes()
    d = decode_html(body, header_charset=None)
    assert d.declared_meta == "gb18030" and d.encoding == "utf-8" and d.mismatch
    assert "\ufffd" not in d.text and "郑板桥" in d.text


def test_parse_html_survives_stray_end_tags_and_empty_input() -> None:
    root = parse_html("<html><body><p>头部</p></body></html>\n<div><p>正文内容</p></div></html>")
    assert "正文内容" in text_of(root)
    assert parse_html("").tag == "html"
    assert parse_html("\x00\x00").tag == "html"
    assert parse_html('<?xml version="1.0" encoding="gbk"?><html><body>中文</body></html>').tag == "html"


def _hidden_texts(html: str) -> dict[str, str | None]:
    root = parse_html(html)
    layout = Layout(root)
    return {a.text: layout.hidden_reason(a) for a in root.iter("a")}


def test_hidden_detection() -> None:
    html = """<html><head><style>.hh{display:none} #gone{visibility:hidden} .x .y{display:none}</style></head><body>
      <a href="/1">visible</a>
      <div style="display:none"><a href="/2">inline-none</a></div>
      <div style="position:absolute;left:-9999px;top:-9999px"><a href="/3">offscreen</a></div>
      <div class="hh"><a href="/4">by-class</a></div>
      <span id="gone"><a href="/5">by-id</a></span>
      <div hidden><a href="/6">attribute</a></div>
      <div style="width:0;height:0;overflow:hidden"><a href="/7">zero-size</a></div>
      <marquee style="text-indent:-3000px"><a href="/8">indent</a></marquee>
      <div style="display: block"><a href="/9">block</a></div>
      <div class="y"><a href="/10">descendant-selector-not-applied</a></div>
    </body></html>"""
    hidden = _hidden_texts(html)
    assert hidden["visible"] is None and hidden["block"] is None
    assert hidden["descendant-selector-not-applied"] is None  # only simple selectors are read
    for name in ("inline-none", "offscreen", "by-class", "by-id", "attribute", "zero-size", "indent"):
        assert hidden[name] is not None, name
    assert hidden["inline-none"] == "display:none" and hidden["offscreen"] == "off-screen"


def test_text_keeps_inline_identifiers_whole_and_blocks_apart() -> None:
    root = parse_html(
        "<div><p>网站标识码：<span>36110</span><b>00003</b></p><p>赣ICP备<i>05085446</i>号</p>"
        "<table><tr><td>标题</td><td>2020-03-25</td></tr></table><script>var x='脚本';</script></div>"
    )
    text = text_of(root)
    assert "网站标识码：3611000003" in text and "赣ICP备05085446号" in text
    assert "标题 2020-03-25" in text and "脚本" not in text
    assert text.count("\n") >= 2
