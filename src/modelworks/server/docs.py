"""``/docs`` (Swagger UI) and ``/redoc`` served from assets this server holds.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so a browser without internet access
gets a blank page. These pages load the same tools from ``/docs/assets/``, files of the PyPI
package ``fastapi-offline`` (Swagger UI 5 and ReDoc 2, pinned in ``requirements.lock``) read
from where it is installed: nothing is fetched at run time, and the pages name no other host.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from modelworks.core.errors import NotFound
from modelworks.core.settings import AuthMode

__all__ = ["ASSETS", "ASSET_PREFIX", "asset_folder", "build_docs_router", "docs_description"]

ASSET_PREFIX = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
"""Each file the pages load, with the type it is served as (browsers refuse a script or a
stylesheet of another type, since every answer carries ``X-Content-Type-Options: nosniff``)."""

# The assets change only with the package's version; an hour spares reloading 2.8 MB on
# every visit while a browser revalidates (ETag) soon after an upgrade.
_ASSET_CACHE = "public, max-age=3600"
SWAGGER_PARAMETERS: dict[str, Any] = {
    # Swagger UI would otherwise ask validator.swagger.io about the document.
    "validatorUrl": None,
    "persistAuthorization": False,  # a key typed into Authorize is not kept in the browser
    "displayRequestDuration": True,
}


def asset_folder() -> Path:
    """The installed folder of Swagger UI's and ReDoc's files."""
    return Path(str(importlib.resources.files("fastapi_offline").joinpath("static")))


def docs_description(auth: AuthMode) -> str:
    """The text at the top of ``/docs``: how to authorize under ``auth``."""
    if auth is AuthMode.OFF:
        return ("Auth is **off** on this server: every operation is open, and Authorize is "
                "not needed.")
    lines = [
        "**Authorize** (top right) with one of:",
        "",
        "- **apiKey**: an API key (`mw_...`), sent as the `X-API-Key` header. The first admin "
        "key is in `MODELWORKS_HOME/admin.key`; `modelworks keys create --scope predict` "
        "makes others.",
        "- **bearer**: a token from `POST /api/authenticate` (body `{\"key\": \"mw_...\"}`; "
        "try it below and copy `token`), or the key itself, sent as `Authorization: Bearer`. "
        "A token carries its key's scopes and lasts `MODELWORKS_TOKEN_TTL_SECONDS`.",
        "",
        "An operation with a lock names the scope its key needs (`admin` holds them all).",
    ]
    if auth is AuthMode.CONTRACT:
        lines += ["", "This server runs with `--auth contract`: the operations the original "
                  "systems' documents define without a key are open (their security lists "
                  "no credential as one choice); every other operation needs a key."]
    return "\n".join(lines)


def build_docs_router(openapi_url: str, title: str) -> APIRouter:
    """``GET /docs``, ``GET /redoc`` and their assets; none of them is in the OpenAPI document."""
    router = APIRouter(include_in_schema=False)
    folder = asset_folder()

    def asset_url(request: Request, name: str) -> str:
        # Behind a proxy that mounts the API under a prefix, the browser needs the prefix.
        return f"{request.scope.get('root_path', '')}{ASSET_PREFIX}/{name}"

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}", title=f"{title} - Swagger UI",
            swagger_js_url=asset_url(request, "swagger-ui-bundle.js"),
            swagger_css_url=asset_url(request, "swagger-ui.css"),
            swagger_favicon_url=asset_url(request, "favicon.png"),
            oauth2_redirect_url=None, swagger_ui_parameters=SWAGGER_PARAMETERS)

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}", title=f"{title} - ReDoc",
            redoc_js_url=asset_url(request, "redoc.standalone.js"),
            redoc_favicon_url=asset_url(request, "favicon.png"), with_google_fonts=False)

    @router.get(ASSET_PREFIX + "/{name}")
    async def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:  # only the listed files: no path reaches the rest of the disk
            raise NotFound(f"no documentation asset {name!r}; there are: "
                           f"{', '.join(sorted(ASSETS))}")
        return FileResponse(folder / name, media_type=media_type,
                            headers={"Cache-Control": _ASSET_CACHE})

    return router
