"""Personal data: ID numbers (checksum), mobile numbers and bank cards (Luhn), always masked."""

from __future__ import annotations

from datetime import date

from govinspect.text.privacy import find_privacy_leaks, id_number_valid, luhn_valid

ID = "11010519491231002X"  # the GB 11643 example number


def test_id_checksum_and_birth_date() -> None:
    assert id_number_valid(ID)
    assert not id_number_valid(ID[:-1] + "3")
    assert not id_number_valid("110105194913310021")  # month 13


def test_id_number_is_masked() -> None:
    text = f"申请人身份证号：{ID}，请核对"
    found = find_privacy_leaks(text, as_of=date(2024, 1, 1))
    assert len(found) == 1
    assert ID not in found[0].message and ID not in found[0].text and "*" in found[0].text
    assert text[found[0].start : found[0].end] == ID


def test_mobile_numbers_and_official_contacts() -> None:
    text = "网民留言：我的电话13812345678，请回复。咨询电话：0793-8221234"
    found = find_privacy_leaks(text)
    assert [(f.severity, f.text) for f in found] == [("deduction", "138****5678")]
    assert find_privacy_leaks(text, official_numbers=["138-1234-5678"]) == []
    assert find_privacy_leaks("订单 213812345678901") == []  # inside a longer number
    assert find_privacy_leaks("http://x.gov.cn/a?id=13812345678") == []


def test_bank_card_luhn() -> None:
    card = "6222600260001072444"
    assert luhn_valid(card)
    found = find_privacy_leaks(f"收款账号：{card}")
    assert [f.evidence["kind"] for f in found] == ["bank_card"] and found[0].severity == "deduction"
    assert card not in found[0].message
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert find_privacy_leaks(f"收款账号：{bad}") == []
    assert find_privacy_leaks(f"统一社会信用代码：{card}") == []


def test_a_citizens_own_number_in_a_message_is_a_deduction() -> None:
    message = "您好！联系手机13988447772，我想反映学校周边交通拥堵的情况，希望有关部门尽快处理。"
    assert [(f.severity, f.text) for f in find_privacy_leaks(message)] == [("deduction", "139****7772")]
    for own in (
        "本人联系电话13912345678，请回复",
        "我家住在幸福小区，联系电话13912345678",
        "手机号：13912345678",
    ):
        assert [f.severity for f in find_privacy_leaks(own)] == ["deduction"], own


def test_a_units_contact_line_stays_a_notice() -> None:
    for line in (
        "联系人：王科长，联系手机：13912345678。",
        "咨询电话：13912345678（工作日上午9:00-12:00）",
        "如有疑问请联系我们，联系电话13912345678",
        "我局联系电话：13912345678",
        "您好，您反映的问题已转交，请联系工作人员，联系电话13912345678",
    ):
        assert [f.severity for f in find_privacy_leaks(line)] == ["notice"], line
    assert find_privacy_leaks("您好！我想反映，联系电话13912345678", official_numbers=["13912345678"]) == []


def test_first_generation_15_digit_id_needs_region_date_and_wording() -> None:
    old = "110105491231002"  # 东城区 code, born 1949-12-31
    found = find_privacy_leaks(f"张某，身份证号：{old}，住址")
    assert [(f.severity, f.text, f.evidence["kind"]) for f in found] == [
        ("deduction", "1101*********02", "id_number_15")
    ]
    assert old not in found[0].message
    assert find_privacy_leaks(f"订单编号{old}") == []  # no ID wording beside it
    assert find_privacy_leaks("身份证号：110105491331002") == []  # month 13
    assert find_privacy_leaks("身份证号：119905491231002") == []  # no such division code
    assert find_privacy_leaks(f"身份证号：{old}", official_numbers=[old]) == []


def test_traditional_labels_and_full_width_digits() -> None:
    found = find_privacy_leaks(
        "本人身份證號：１１０１０５１９４９１２３１００２Ｘ，聯繫手機１３９１２３４５６７８"
    )
    assert [(f.evidence["kind"], f.text) for f in found] == [
        ("id_number", "1101************2X"),
        ("mobile", "139****5678"),
    ]
    assert find_privacy_leaks("諮詢電話：１３９１２３４５６７８", official_numbers=["13912345678"]) == []
