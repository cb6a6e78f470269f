"""The HTTP client of the dashboard and the CLI's job commands; the admin key from home."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelworks.core.settings import Settings

TIMEOUT_SECONDS = 30.0


class ApiError(Exception):
    """The API answered with an error (or could not be reached); ``message`` says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class ApiClient:
    """Thin JSON client; every call raises :class:`ApiError` with the server's message."""

    base_url: str
    key: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiClient:
        """The API at ``MODELWORKS_API_URL`` with the admin key from ``MODELWORKS_HOME``."""
        key_file = settings.admin_key_file
        key = key_file.read_text().strip() if key_file.is_file() else None
        return cls(settings.api_url.rstrip("/"), key)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; the decoded JSON body."""
        import httpx  # here, not at the top: `modelworks serve` starts without it

        headers = {"X-API-Key": self.key} if self.key else {}
        try:
            response = httpx.request(method, self.base_url + path, headers=headers,
                                     timeout=TIMEOUT_SECONDS, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach the API at {self.base_url}: {exc}") from exc
        if response.is_error:
            try:
                message = response.json().get("error") or response.text
            except ValueError:
                message = response.text
            raise ApiError(f"{response.status_code}: {message}", response.status_code)
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        """GET with query parameters."""
        return self.request("GET", path, params={k: v for k, v in params.items()
                                                 if v is not None})

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST (``json=``, ``data=``, ``files=``, ``params=``)."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        """PUT a JSON body."""
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        """DELETE."""
        return self.request("DELETE", path)
