"""通报 in the dashboard: inspectors generate the circular for a period from the web and download its files;
unit users never see the page; bad input and the reports' self-check answer in Chinese; downloads are served
only by known names. Uses the inspected data of tests/test_web_app.py."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from govinspect.farm import Farm
from govinspect.web.app import create_app
from govinspect.web.report_pages import generated
from tests.test_web_app import WebData, client, csrf, signed_in, web_data


@pytest.fixture(scope="module")
def web(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return web_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def app(web: WebData):  # type: ignore[no-untyped-def]
    return create_app(web.settings, store=web.store)


@pytest.fixture(scope="module")
def admin(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "admin")


@pytest.fixture(scope="module")
def inspector(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "inspector")


@pytest.fixture(scope="module")
def unit1(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "unit1")


def _made(r) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 303, r.text[:2000]
    return re.search(r"made=([^&]+)", r.headers["location"])[1]  # type: ignore[index]


@pytest.fixture(scope="module")
def made(inspector: TestClient) -> str:
    r = inspector.post(
        "/reports",
        data={"csrf_token": csrf(inspector), "period": "2020Q1", "compare_to": "2019Q4", "working_days": "5"},
        follow_redirects=False,
    )
    return _made(r)


def test_an_inspector_generates_a_circular_and_downloads_its_files(
    inspector: TestClient,
    web: WebData,
    made: str,
) -> None:
    page = inspector.get(f"/reports?made={made}")
    assert page.status_code == 200 and 'id="report-made"' in page.text
    assert f"/reports/{made}/docx" in page.text and f"/reports/{made}/xlsx" in page.text
    assert f"/reports/{made}/pdf" not in page.text  # not asked for
    assert ">2019Q4<" in page.text and ">2020Q1<" in page.text  # the periods offered
    docx = inspector.get(f"/reports/{made}/docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    text = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode("utf-8")
    assert "2020" in text and "通报" in text
    xlsx = inspector.get(f"/reports/{made}/xlsx")
    assert xlsx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(xlsx.content))
    html = inspector.get(f"/reports/{made}/html")
    assert html.status_code == 200 and "2020" in html.content.decode("utf-8")
    listed = generated(web.settings.home / "reports")
    assert [g.subject for g in listed if g.name == made] == ["2020Q1"]


def test_unit_users_never_see_circulars(unit1: TestClient, made: str) -> None:
    assert unit1.get("/reports").status_code == 404
    assert unit1.get(f"/reports/{made}/docx").status_code == 404
    assert 'href="/reports"' not in unit1.get("/").text
    r = unit1.post("/reports", data={"csrf_token": csrf(unit1), "period": "2020Q1"}, follow_redirects=False)
    assert r.status_code == 404


def test_downloads_take_known_names_only(admin: TestClient, made: str) -> None:
    assert admin.get(f"/reports/{made}/docx").status_code == 200
    for path in (f"/reports/{made}/pdf", f"/reports/{made}/..%2F..%2Fweb.db", "/reports/..%2F..%2F/docx",
                 f"/reports/{made}x/docx", "/reports/20200101-000000-2020Q1/docx"):  # fmt: skip
        assert admin.get(path).status_code == 404, path


def test_bad_input_and_the_self_check_answer_in_chinese(admin: TestClient, app) -> None:
    token = csrf(admin)
    cases = {
        ("2020Q1", "1"): "之一",
        ("2020Q9", ""): "检查期的格式",
        ("<script>", ""): "检查期的格式",
    }
    for (period, run), message in cases.items():
        r = admin.post("/reports", data={"csrf_token": token, "period": period, "run": run})
        assert r.status_code == 400 and message in r.text
        assert "<script>" not in r.text.split('id="report-error"')[1].split("</div>")[0]
    r = admin.post("/reports", data={"csrf_token": token, "period": "2020Q1", "compare_to": "2019Q4,<b>"})
    assert r.status_code == 400 and "对比的往期" in r.text
    # A period with no inspection: the figures refuse, with their Chinese message, and nothing is listed.
    before = admin.get("/reports").text.count("<tr")
    r = admin.post("/reports", data={"csrf_token": token, "period": "2030Q1"})
    assert r.status_code == 422 and 'id="report-error"' in r.text
    assert re.search(r'id="report-error">[^<]*[\u4e00-\u9fff]', r.text)
    assert admin.get("/reports").text.count("<tr") == before
    # No CSRF token, no circular.
    assert admin.post("/reports", data={"period": "2020Q1"}).status_code == 403
    # Signed out: the sign-in page.
    anonymous = client(app)
    assert anonymous.get("/reports", follow_redirects=False).status_code == 303
    assert anonymous.get("/reports/x/docx", follow_redirects=False).status_code == 303
