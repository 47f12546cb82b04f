"""Rates as the circulars print them: two decimals, rounded half up (374/378 = 98.94%)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent_text(part: int, whole: int) -> str:
    value = percent(part, whole)
    return "—" if value is None else f"{value}%"
