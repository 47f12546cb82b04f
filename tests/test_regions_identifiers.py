"""GB/T 2260 lookups and the identifier formats of INDICATORS.md §6."""

from __future__ import annotations

import pytest

from govinspect.registry import identifiers, regions


@pytest.mark.parametrize(
    ("code", "full_name", "level"),
    [
        ("361100", "江西省上饶市", "prefecture"),
        ("440785", "广东省江门市恩平市", "county"),
        ("420000", "湖北省", "province"),
        ("110101", "北京市东城区", "county"),  # municipality: the 市辖区 placeholder is not in the name
        ("469001", "海南省五指山市", "county"),
    ],
)
def test_lookup_resolves_names(code: str, full_name: str, level: str) -> None:
    region = regions.lookup(code)
    assert region is not None
    assert (region.full_name, region.level, region.retired) == (full_name, level, False)


def test_unknown_and_malformed_codes_resolve_to_none() -> None:
    assert regions.lookup("999999") is None
    assert regions.lookup("36110") is None
    assert regions.lookup("abcdef") is None


def test_retired_codes_are_found_in_older_revisions() -> None:
    # 新建县 (360122) became 南昌市新建区 (360112) in 2015; site codes issued before still carry it.
    region = regions.lookup("360122")
    assert region is not None
    assert (region.name, region.full_name, region.retired) == ("新建县", "江西省南昌市新建县", True)
    assert identifiers.check_site_code("3601220001") is None


def test_children_and_site_codes() -> None:
    prefectures = {r.name for r in regions.children("360000")}
    assert {"南昌市", "上饶市", "九江市"} <= prefectures
    assert len(prefectures) == 11
    assert all(r.prefecture_code == "361100" for r in regions.children("361100"))
    assert regions.for_site_code("4407850057").full_name == "广东省江门市恩平市"  # type: ignore[union-attr]
    assert regions.for_site_code("bm01000001") is None


@pytest.mark.parametrize("code", ["3611000003", "4407850057", "bm01000001", "３６１１０００００３"])
def test_valid_site_codes(code: str) -> None:
    assert identifiers.check_site_code(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [("361100003", "10位"), ("bm0100001", "10位"), ("9911000003", "行政区划"), ("36110000ab", "10位")],
)
def test_invalid_site_codes_say_why(code: str, reason: str) -> None:
    message = identifiers.check_site_code(code)
    assert message is not None and reason in message


def test_icp_numbers() -> None:
    icp = identifiers.parse_icp("京ICP备05070218号-1")
    assert icp is not None and (icp.number, icp.suffix, icp.province_code) == ("05070218", "1", "110000")
    assert identifiers.check_icp("粤ICP备05085446号") is None
    for bad in ("粤ICP备0508号", "ICP备05085446号", "粤ICP证05085446号", "X ICP备05085446号"):
        assert identifiers.check_icp(bad) is not None, bad
    found = identifiers.find_icp("主办：恩平市人民政府办公室 备案号：粤ICP备05085446号 网站标识码4407850057")
    assert found is not None and found.text == "粤ICP备05085446号"


def test_psb_numbers_check_their_division_and_province() -> None:
    assert identifiers.check_psb("粤公网安备 44078502000006号") is None
    assert identifiers.check_psb("粤公网安备44078502000006号") is None
    assert "不符" in (identifiers.check_psb("京公网安备 44078502000006号") or "")
    assert "区划" in (identifiers.check_psb("粤公网安备 99078502000006号") or "")
    assert identifiers.check_psb("粤公网安备 4407850200006号") is not None
    found = identifiers.find_psb("版权所有 粤公网安备 44078502000006号 技术支持")
    assert found is not None and found.division_code == "440785"
