"""Attacks on the web service beyond tests/test_web_app.py (sign-in, CSRF, unit isolation, payloads in crawled
pages and the registry) and tests/test_web_rectify.py (flooding the public 找错 form): the OpenAPI of /api/v1
fuzzed with schemathesis under an administrator's and a unit user's token (no server error, a unit user never
reads another unit's site), every API path with another unit's identifiers, SQL injection through the filters
and search of the API and the pages, and oversized bodies.
"""

from __future__ import annotations

import contextlib
import os
import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from sqlalchemy import func, select

from govinspect.farm import Farm
from govinspect.store.models import Site
from govinspect.store.users import User
from govinspect.web.app import create_app
from tests.test_web_app import WebData, account_fixture, client, csrf, finding_ids, web_data


@pytest.fixture(scope="module")
def web(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return web_data(farm_server, tmp_path_factory)  # the inspection the web tests share (built once)


@pytest.fixture(scope="module")
def app(web: WebData):  # type: ignore[no-untyped-def]
    return create_app(web.settings, store=web.store)


admin = account_fixture("admin")
unit1 = account_fixture("unit1")

# Heavy (CLI subprocesses, real inspections): run by `python -m bench.reliability` and with GOVINSPECT_HEAVY=1.
HEAVY = pytest.mark.skipif(
    not os.environ.get("GOVINSPECT_HEAVY"),
    reason="重负载测试：设置 GOVINSPECT_HEAVY=1 或运行 python -m bench.reliability",
)
EXAMPLES = 15  # per operation and mode
SQL = [
    "' OR '1'='1",
    "'; DROP TABLE sites; --",
    '" OR 1=1 --',
    "%' UNION SELECT site_code, name FROM sites --",
    "1) OR (1=1",
    "\\'; SELECT pg_sleep(5); --",
    "%",
    "_",
    "\x00",
]


@pytest.fixture(scope="module")
def tokens(app, admin: TestClient, web: WebData) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = {}
    for username in ("admin", "unit1"):
        with web.store.session() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
        page = admin.post(f"/users/{user_id}/tokens", data={"name": "攻击测试", "csrf_token": csrf(admin)})
        out[username] = re.search(r'id="new-token">([^<]+)<', page.text)[1]  # type: ignore[index]
    return out


@HEAVY
def test_the_api_survives_its_own_schema(app, tokens: dict[str, str], web: WebData) -> None:  # type: ignore[no-untyped-def]
    """Every operation of /api/v1, with requests schemathesis makes from the OpenAPI (valid and invalid values),
    as an administrator and as a unit user: never a server error; a unit user never reads another unit's site."""
    from schemathesis.generation import GenerationMode

    api_schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    checked = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def one(case) -> None:  # type: ignore[no-untyped-def]
                nonlocal checked
                checked += 1
                for who in ("admin", "unit1"):
                    response = case.call(headers={"Authorization": f"Bearer {tokens[who]}"})
                    assert response.status_code < 500, (
                        who,
                        case.method,
                        case.formatted_path,
                        response.text[:300],
                    )
                    if who == "unit1" and response.status_code == 200:
                        for other in web.others:
                            assert f'"site_code":"{other}"' not in response.text.replace(" ", ""), (
                                case.formatted_path
                            )

            # an operation without parameters has no invalid requests to make
            with contextlib.suppress(Unsatisfiable):
                one()
    assert checked >= len(operations)


def test_every_api_path_refuses_another_units_identifiers(app, tokens: dict[str, str], web: WebData) -> None:  # type: ignore[no-untyped-def]
    api = client(app)
    bearer = {"Authorization": f"Bearer {tokens['unit1']}"}
    other = web.others[0]
    finding = finding_ids(web, other)[0]
    for path in (
        f"/api/v1/sites/{other}",
        f"/api/v1/findings/{finding}",
        f"/api/v1/sites/{other}%00",
    ):
        assert api.get(path, headers=bearer).status_code in (404, 403), path
    for path in (
        "/api/v1/findings",
        f"/api/v1/findings?site_code={other}",
        "/api/v1/tickets",
        "/api/v1/runs",
    ):
        response = api.get(path, headers=bearer)
        assert response.status_code < 500, path
        assert other not in response.text, path


@pytest.mark.parametrize("payload", SQL)
def test_sql_injection_through_filters_and_search(  # type: ignore[no-untyped-def]
    app, tokens: dict[str, str], unit1: TestClient, web: WebData, payload: str
) -> None:
    api = client(app)
    with web.store.session() as session:
        before = session.scalar(select(func.count(Site.id)))
    for who in ("admin", "unit1"):
        bearer = {"Authorization": f"Bearer {tokens[who]}"}
        for name in ("q", "region", "category", "verdict"):
            response = api.get("/api/v1/sites", params={name: payload}, headers=bearer)
            assert response.status_code in (200, 422), (name, response.text[:300])
            if response.status_code == 200:
                codes = {s["site_code"] for s in response.json()["sites"]}
                if who == "unit1":
                    assert codes <= {web.mine}, (name, codes)
                elif name == "q" and payload.startswith("'"):
                    assert not codes, (name, codes)  # searched for as text, matching nothing
        for path, name in (("/api/v1/findings", "severity"), ("/api/v1/tickets", "status")):
            assert api.get(path, params={name: payload}, headers=bearer).status_code in (200, 422)
    for page, name in (("/sites", "q"), ("/sites", "region"), ("/findings", "check")):
        response = unit1.get(page, params={name: payload})
        assert response.status_code in (200, 404, 422), (page, name, response.status_code)
        for other in web.others:
            assert other not in response.text
    with web.store.session() as session:
        assert session.scalar(select(func.count(Site.id))) == before  # nothing dropped, nothing added


def test_oversized_bodies_are_refused_without_a_server_error(app) -> None:  # type: ignore[no-untyped-def]
    anonymous = client(app)
    form = anonymous.get("/jiucuo")
    assert form.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    big = "错" * (2 * 1024 * 1024)  # 6 MB of text in one field
    data = {"description": big, "url": "http://x/", **({"csrf_token": token[1]} if token else {})}
    response = anonymous.post("/jiucuo", data=data)
    assert response.status_code < 500 and response.status_code != 303, response.status_code
    # The same as multipart: a 6 MB part, and a file where none is expected.
    multipart = anonymous.post(
        "/jiucuo", data={"page_url": "http://x/"}, files={"description": ("d.txt", big.encode())}
    )
    assert multipart.status_code in (400, 413), multipart.status_code
