"""Validators and finders for the identifiers a government site carries (INDICATORS.md §6).

One module for the registry import and the footer checks alike, so "valid" means the same thing in both.
Each ``check_*`` returns None when the value is valid, or the reason (in Chinese, shown to officials).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govinspect.registry import regions

# Province abbreviations used in ICP and public-security filing numbers, with the province's division code.
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "京": "110000", "津": "120000", "冀": "130000", "晋": "140000", "蒙": "150000",
    "辽": "210000", "吉": "220000", "黑": "230000", "沪": "310000", "苏": "320000",
    "浙": "330000", "皖": "340000", "闽": "350000", "赣": "360000", "鲁": "370000",
    "豫": "410000", "鄂": "420000", "湘": "430000", "粤": "440000", "桂": "450000",
    "琼": "460000", "渝": "500000", "川": "510000", "蜀": "510000", "贵": "520000",
    "黔": "520000", "云": "530000", "滇": "530000", "藏": "540000", "陕": "610000",
    "秦": "610000", "甘": "620000", "陇": "620000", "青": "630000", "宁": "640000",
    "新": "650000",
}  # fmt: skip
_ABBR = "".join(PROVINCE_ABBREVIATIONS)

SITE_CODE_PATTERN = re.compile(r"^(?:\d{10}|bm\d{8})$")
ICP_PATTERN = re.compile(rf"(?P<abbr>[{_ABBR}])ICP备(?P<number>\d{{6,10}})号(?:-(?P<suffix>\d{{1,3}}))?")
PSB_PATTERN = re.compile(rf"(?P<abbr>[{_ABBR}])公网安备\s*(?P<number>\d{{14}})\s*号")
_ICP_FULL = re.compile(rf"^{ICP_PATTERN.pattern}$")
_PSB_FULL = re.compile(rf"^{PSB_PATTERN.pattern}$")


@dataclass(frozen=True, slots=True)
class IcpNumber:
    abbreviation: str
    number: str
    suffix: str | None
    text: str

    @property
    def province_code(self) -> str:
        return PROVINCE_ABBREVIATIONS[self.abbreviation]


@dataclass(frozen=True, slots=True)
class PsbNumber:
    abbreviation: str
    number: str
    text: str

    @property
    def division_code(self) -> str:
        return self.number[:6]


def normalise(value: str) -> str:
    """Full-width digits and letters to half-width, surrounding whitespace dropped."""
    return value.translate(_FULLWIDTH).strip()


_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF41 + i: 0x61 + i for i in range(26)}
_FULLWIDTH |= {0xFF21 + i: 0x41 + i for i in range(26)} | {0xFF0D: 0x2D, 0x3000: 0x20}


def check_site_code(code: str) -> str | None:
    code = normalise(code)
    if not SITE_CODE_PATTERN.match(code):
        return "网站标识码应为10位数字，或“bm”加8位数字"
    if code.startswith("bm"):
        return None
    if regions.lookup(code[:6]) is None:
        return f"网站标识码前6位“{code[:6]}”不是有效的行政区划代码"
    return None


def parse_icp(text: str) -> IcpNumber | None:
    match = _ICP_FULL.match(normalise(text))
    return _icp(match) if match else None


def find_icp(text: str) -> IcpNumber | None:
    """The first ICP filing number written anywhere in a text (a footer, say)."""
    match = ICP_PATTERN.search(normalise(text))
    return _icp(match) if match else None


def _icp(match: re.Match[str]) -> IcpNumber:
    return IcpNumber(match["abbr"], match["number"], match["suffix"], match.group(0))


def check_icp(text: str) -> str | None:
    if parse_icp(text) is None:
        return "ICP备案号格式应为“省简称ICP备6至10位数字号”，如“粤ICP备05085446号”或“京ICP备05070218号-1”"
    return None


def parse_psb(text: str) -> PsbNumber | None:
    match = _PSB_FULL.match(normalise(text))
    return _psb(match) if match else None


def find_psb(text: str) -> PsbNumber | None:
    match = PSB_PATTERN.search(normalise(text))
    return _psb(match) if match else None


def _psb(match: re.Match[str]) -> PsbNumber:
    return PsbNumber(match["abbr"], match["number"], match.group(0))


def check_psb(text: str) -> str | None:
    psb = parse_psb(text)
    if psb is None:
        return "公安备案号格式应为“省简称公网安备14位数字号”，如“粤公网安备 44078502000006号”"
    region = regions.lookup(psb.division_code)
    if region is None:
        return f"公安备案号前6位“{psb.division_code}”不是有效的行政区划代码"
    if region.province_code != PROVINCE_ABBREVIATIONS[psb.abbreviation]:
        return (
            f"公安备案号的省简称“{psb.abbreviation}”与区划代码“{psb.division_code}”（{region.full_name}）不符"
        )
    return None
