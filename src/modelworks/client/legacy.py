"""``ApiClient``: untyped JSON calls by path.

The dashboard uses it until it moves to ``Client``. It shares ``Client``'s transport: the same
credentials, retries and errors.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelworks.client._http import Transport

if TYPE_CHECKING:
    from modelworks.core.settings import Settings


@dataclass
class ApiClient:
    """Thin JSON client; every call raises ``ApiError`` with the server's message."""

    base_url: str
    key: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiClient:
        """The API at ``MODELWORKS_API_URL`` with ``MODELWORKS_API_KEY`` or the admin key."""
        return cls(settings.api_url.rstrip("/"), settings.client_key())

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; the decoded JSON body."""
        # A transport per call: the dashboard keeps no connection between reruns.
        with closing(Transport(self.base_url, api_key=self.key)) as transport:
            return transport.json(method, path, **kwargs)

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

