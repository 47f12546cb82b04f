"""The text checks on a site's pages (extract/content.py) and the findings they become (checks/content.py)."""

from __future__ import annotations

from datetime import date

from govinspect.checks.content import check_content
from govinspect.checks.finding import Severity
from govinspect.extract.content import ContentOptions, ContentScan
from govinspect.extract.model import Attempt, Expected, Homepage, SiteModel
from govinspect.extract.page import parse_page
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

AS_OF = date(2020, 3, 31)
PROFILE = load_profile("national-2019")
HOST = "www.example.gov.cn"


def article(body: str, day: str = "2020-03-20", title: str = "县政府召开常务会议") -> str:
    return f"""<html><head><meta charset="utf-8"><title>{title}</title>
<meta name="PubDate" content="{day} 09:00"></head><body>
<div class="article"><h1>{title}</h1><div class="info">发布时间：{day} 来源：县政府办公室</div>
<div class="content"><p>{body}</p></div></div>
<div class="footer">主办单位：示例县人民政府办公室 联系电话：0793-8221234 网站标识码：3611000003</div>
</body></html>"""


def scan(pages: list[tuple[str, str, bool]], options: ContentOptions | None = None) -> list:  # type: ignore[type-arg]
    scanner = ContentScan.for_site(
        ["示例县人民政府", "示例县人民政府办公室"],
        [HOST],
        AS_OF,
        options,
        footer_text="主办单位：示例县人民政府办公室 联系电话：0793-8221234",
    )
    issues = []
    for number, (url, html, is_article) in enumerate(pages, 1):
        page = parse_page(url, html.encode("utf-8"), reference=AS_OF)
        issues += scanner.page(page, html, snapshot_id=number, article=is_article)
    return issues


def model_with(issues: list) -> SiteModel:  # type: ignore[type-arg]
    return SiteModel(
        expected=Expected("3611000003", "示例县人民政府", "示例县人民政府办公室"),
        homepage=Homepage(f"http://{HOST}/", (Attempt(200, None),)),
        content=tuple(issues),
    )


def test_an_abolished_body_named_as_current_is_a_serious_error_with_its_evidence() -> None:
    url = f"http://{HOST}/art/2020/3/20/art_1_1.html"
    issues = scan([(url, article("根据国土资源部有关工作要求，县政府对相关工作进行了安排。"), True)])
    serious = [i for i in issues if i.check == "content.serious_error"]
    assert len(serious) == 1
    issue = serious[0]
    assert issue.text == "国土资源部" and issue.suggestion == "自然资源部"
    assert issue.severity == "veto" and issue.published == date(2020, 3, 20) and issue.snapshot_id == 1
    assert "国土资源部有关工作要求" in issue.context


def test_the_same_words_in_an_article_from_before_the_change_are_not_an_error() -> None:
    url = f"http://{HOST}/art/2016/5/9/art_1_2.html"
    issues = scan(
        [(url, article("根据国土资源部有关工作要求，县政府对相关工作进行了安排。", day="2016-05-09"), True)]
    )
    assert [i for i in issues if i.check == "content.serious_error"] == []


def test_personal_data_is_masked_everywhere_and_official_numbers_are_not_personal() -> None:
    url = f"http://{HOST}/col/col5/index.html"
    html = article("公示对象：张三，本人身份证号110101199003074514，联系电话0793-8221234。")
    issues = scan([(url, html, False)])
    privacy = [i for i in issues if i.check == "content.privacy_leak"]
    assert len(privacy) == 1
    assert "110101199003074514" not in privacy[0].context + privacy[0].text + str(privacy[0].evidence)
    assert "*" in privacy[0].text


def test_hidden_gambling_link_on_the_homepage_is_a_dark_link() -> None:
    html = article("今日无事。").replace(
        "</body>",
        '<div style="display:none"><a href="http://bc.example.com/x.html">澳门网上赌场 真人娱乐</a></div></body>',
    )
    issues = scan([(f"http://{HOST}/", html, False)])
    dark = [i for i in issues if i.check == "content.dark_link"]
    assert dark and dark[0].where == "html" and dark[0].severity == "veto"


def test_the_typo_budget_stops_spelling_checks_but_not_the_lexicon() -> None:
    body = "根据国土资源部有关工作要求，各单位要认真贯彻落实会议精神。" * 5
    pages = [(f"http://{HOST}/art/2020/3/2{n}/art_1_{n}.html", article(body), True) for n in range(3)]
    options = ContentOptions(typo_chars_per_site=10)
    scanner = ContentScan.for_site([], [HOST], AS_OF, options)
    for url, html, _ in pages:
        scanner.page(parse_page(url, html.encode()), html, snapshot_id=None, article=True)
    assert scanner.typo_budget < 0  # spent on the first page; the lexicon still ran on every page
    serious = [i for i in scan(pages, options) if i.check == "content.serious_error"]
    assert {i.url for i in serious} == {url for url, _, _ in pages}


def test_one_wording_on_many_pages_is_one_finding_listing_the_pages() -> None:
    body = "根据国土资源部有关工作要求，县政府对相关工作进行了安排。"
    pages = [(f"http://{HOST}/art/2020/3/2{n}/art_1_{n}.html", article(body), True) for n in range(4)]
    findings = check_content(model_with(scan(pages)), PROFILE, AS_OF)
    serious = [f for f in findings if f.check == "content.serious_error"]
    assert len(serious) == 1
    assert serious[0].severity is Severity.VETO and serious[0].evidence["page_count"] == 4
    assert serious[0].evidence["suggestion"] == "自然资源部"
    score = score_site(findings, PROFILE)
    assert score.verdict == "不合格" and "安全、泄密事故等严重问题" in score.veto_names


def test_content_issues_survive_the_stored_model() -> None:
    url = f"http://{HOST}/art/2020/3/20/art_1_1.html"
    model = model_with(
        scan([(url, article("根据国土资源部有关工作要求，县政府对相关工作进行了安排。"), True)])
    )
    assert model_from_dict(model_to_dict(model)).content == model.content


def test_correct_official_text_gives_no_findings() -> None:
    body = "会议强调，要坚持以习近平新时代中国特色社会主义思想为指导，增强“四个意识”、坚定“四个自信”、做到“两个维护”。"
    issues = scan([(f"http://{HOST}/art/2020/3/20/art_1_9.html", article(body), True)])
    assert [i for i in issues if i.severity != "notice"] == []
