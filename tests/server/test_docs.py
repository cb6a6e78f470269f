"""``/docs`` and ``/redoc`` on a real server: offline pages, and Authorize as Swagger UI does it.

The pages may name no other host, and every file they load must come from this server with
the type a browser accepts under ``nosniff``. The OpenAPI document offers the ``X-API-Key``
header and bearer tokens; calling each operation the way Swagger UI does once authorized
(credentials built from the document's security schemes, bodies from its examples) must get
past auth wherever the document lists that credential, and nothing may be reached without
one unless the document says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Route, sync_playwright

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings, uvicorn_thread
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_FLAGS

EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                  ".json": "application/json"}


@pytest.fixture(scope="module", params=[AuthMode.REQUIRED, AuthMode.CONTRACT])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           minilm_assets: MiniLMAssets, movies_registry: Path) -> Iterator[tuple[AuthMode, str,
                                                                               str]]:
    """Every service enabled, movies with a live model; (mode, URL, admin key)."""
    mode: AuthMode = request.param
    home = tmp_path_factory.mktemp(f"docs-{mode.value}")
    copy_registry(movies_registry, home)
    settings = make_settings(home, minilm_assets, auth=mode)
    with uvicorn_thread(create_app(settings)) as url:
        yield mode, url, settings.admin_key_file.read_text().strip()


def loaded_urls(page: str) -> list[str]:
    """What a docs page makes the browser fetch: scripts, styles, icon, the document."""
    return (re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r"url: '([^']+)'", page) +
            re.findall(r'spec-url="([^"]+)"', page))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_files_this_server_serves(
        server: tuple[AuthMode, str, str], page: str) -> None:
    _, url, _ = server
    answer = httpx.get(url + page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "//" not in answer.text, "the page names another host (a CDN, fonts, a validator)"
    urls = loaded_urls(answer.text)
    assert any(u.endswith(".js") for u in urls), urls
    assert "/openapi.json" in urls, urls
    if page == "/docs":
        assert any(u.endswith(".css") for u in urls), urls
    for path in urls:
        assert path.startswith("/"), path
        loaded = httpx.get(url + path)
        assert loaded.status_code == 200, path
        media = EXPECTED_TYPES[Path(path).suffix]
        assert loaded.headers["content-type"].split(";")[0] == media, path
        assert loaded.headers["x-content-type-options"] == "nosniff"
    script = next(u for u in urls if u.endswith(".js"))
    name = "SwaggerUIBundle" if page == "/docs" else "Redoc"
    assert name.encode() in httpx.get(url + script).content


def test_only_the_documentation_files_are_served(server: tuple[AuthMode, str, str]) -> None:
    _, url, _ = server
    listed = httpx.get(url + "/docs/assets/index.html")  # in the package, not in the list
    assert listed.status_code == 404
    assert "no documentation asset" in listed.json()["error"]
    for path in ("/docs/assets/..%2F__init__.py", "/docs/assets/%2E%2E%2Fcore.py"):
        assert httpx.get(url + path).status_code == 404, path


def test_openapi_offers_the_key_header_and_bearer_tokens(
        server: tuple[AuthMode, str, str]) -> None:
    _, url, admin = server
    document = httpx.get(url + "/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header",
                                 "name": "X-API-Key"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert "Authorize" in document["info"]["description"]
    # The header the document names is the one the server reads.
    assert httpx.get(url + "/models", headers={"X-API-Key": admin}).status_code == 200
    assert httpx.get(url + "/models", headers={"X-API-Key": "mw_no_key"}).status_code == 401


def swagger_headers(scheme: dict[str, Any], value: str) -> dict[str, str]:
    """The header Swagger UI sends for ``scheme`` once ``value`` is entered in Authorize."""
    if scheme["type"] == "apiKey":
        assert scheme["in"] == "header"
        return {scheme["name"]: value}
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    return {"Authorization": f"Bearer {value}"}


def example_request(path: str, operation: dict[str, Any]) -> tuple[str, Any]:
    """The operation's path filled from its parameter examples (else ``x``), its JSON example."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = parameter.get("example", "x")
            path = path.replace("{" + parameter["name"] + "}", str(value))
    path = re.sub(r"\{[^}]+\}", "x", path)
    media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = list(media.get("examples", {}).values())
    return path, examples[0]["value"] if examples else None


def test_authorize_with_a_token_from_api_authenticate_opens_what_the_docs_say(
        server: tuple[AuthMode, str, str]) -> None:
    mode, url, admin = server
    document = httpx.get(url + "/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    authenticate = document["paths"]["/api/authenticate"]["post"]
    assert "security" not in authenticate  # the way to a token needs no credential
    token = httpx.post(url + "/api/authenticate", json={"key": admin})
    assert token.status_code == 200, token.text
    credentials = {"bearer": token.json()["token"], "apiKey": admin}
    secured = [(method, path, operation) for path, operations in document["paths"].items()
               for method, operation in operations.items() if "security" in operation]
    assert len(secured) > 20
    open_without_key = set()
    for method, template, operation in secured:
        path, body = example_request(template, operation)
        where = f"{method.upper()} {template}"
        bare = httpx.request(method, url + path, json=body, timeout=60)
        assert bare.status_code < 500, (where, bare.text)
        if {} in operation["security"]:
            open_without_key.add(where)
            assert bare.status_code not in (401, 403), (where, bare.text)
        else:
            assert bare.status_code == 401, (where, bare.status_code)
        for requirement in operation["security"]:
            for name in requirement:
                headers = swagger_headers(schemes[name], credentials[name])
                answer = httpx.request(method, url + path, json=body, headers=headers,
                                       timeout=60)
                assert answer.status_code not in (401, 403), (where, name, answer.text)
    expected_open = {"POST /genres/predict", "POST /genres/train", "POST /api/inference",
                     "POST /predict", "GET /interests/{user_handle}"}
    assert open_without_key == (expected_open if mode is AuthMode.CONTRACT else set())
    # The movies flow end to end: the token, as Authorize sends it, gets recommendations.
    recommend = document["paths"]["/api/recommend"]["post"]
    _, body = example_request("/api/recommend", recommend)
    answer = httpx.post(url + "/api/recommend", json=body,
                        headers=swagger_headers(schemes["bearer"], credentials["bearer"]))
    assert answer.status_code == 200, answer.text
    titles = answer.json()
    assert isinstance(titles, list)
    assert titles


def test_swagger_ui_offline_in_chromium_authorizes_with_a_token(
        server: tuple[AuthMode, str, str]) -> None:
    """The page as a person uses it, with every other host unreachable."""
    mode, url, admin = server
    if mode is not AuthMode.REQUIRED:
        pytest.skip("one mode is enough for the browser")
    assert CHROMIUM.exists(), "install Debian's chromium (make test does: apt-get install chromium)"
    token = httpx.post(url + "/api/authenticate", json={"key": admin}).json()["token"]
    elsewhere: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_this_server)
            page.goto(url + "/docs")
            page.locator("button.authorize").first.click()
            bearer = page.locator(".auth-container").filter(has_text="bearer")
            bearer.locator("input").fill(token)
            bearer.locator("button.authorize").click()
            # Swagger UI offers to remove a credential once it holds one.
            bearer.get_by_role("button", name="Remove authorization").wait_for()
            page.locator("button.close-modal").click()
            operation = page.locator("#operations-models-list_models_models_get")
            operation.locator(".opblock-summary").click()
            operation.get_by_role("button", name="Try it out").click()
            operation.get_by_role("button", name="Execute").click()
            status = operation.locator(".live-responses-table .response .response-col_status")
            status.wait_for()
            curl = operation.locator(".curl-command").inner_text()
            assert status.inner_text().strip().startswith("200"), status.inner_text()
            assert f"Authorization: Bearer {token}" in curl, curl
        finally:
            browser.close()
    assert elsewhere == []
