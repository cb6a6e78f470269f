"""``Client``: one typed method per route of a modelworks server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelworks.client._http import BACKOFF_SECONDS, RETRIES, TIMEOUT_SECONDS, Transport
from modelworks.client.console import ConsoleRoutes
from modelworks.client.operations import CoreRoutes
from modelworks.client.results import Token
from modelworks.client.services import ServiceRoutes

if TYPE_CHECKING:
    from types import TracebackType

    import httpx

    from modelworks.core.settings import Settings

DEFAULT_URL = "http://127.0.0.1:8000"


class Client(ServiceRoutes, CoreRoutes, ConsoleRoutes):
    """A modelworks server, spoken to over HTTP with typed answers.

    Authenticates with an API key (``X-API-Key``) or a bearer token; ``authenticate()``
    trades the key for a token, renewed by itself when it expires. Connection failures are
    retried ``retries`` times with exponential backoff; answers are never retried. Every
    refusal raises ``ApiError`` with the server's message, status and the field at fault.

    Use it as a context manager (or call ``close()``) to close its connections::

        with Client("http://127.0.0.1:8000", api_key="mw_...") as api:
            api.recommend(25, "F", "student").recommendations

    ``http`` lets the caller supply the ``httpx.Client`` (e.g. Starlette's ``TestClient``
    around an app in this process); it is not closed with this one.
    """

    def __init__(self, base_url: str = DEFAULT_URL, *, api_key: str | None = None,
                 token: str | None = None, timeout: float = TIMEOUT_SECONDS,
                 retries: int = RETRIES, backoff_seconds: float = BACKOFF_SECONDS,
                 http: httpx.Client | None = None) -> None:
        self._http = Transport(base_url, api_key=api_key, token=token, timeout=timeout,
                               retries=retries, backoff_seconds=backoff_seconds, http=http)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, api_url: str | None = None,
                      api_key: str | None = None, **options: Any) -> Client:
        """A client of the API at ``api_url`` (default ``MODELWORKS_API_URL``).

        It sends ``api_key``, else ``MODELWORKS_API_KEY``, else the admin key in
        ``MODELWORKS_HOME`` if there is one.
        """
        from modelworks.core.settings import Settings

        settings = settings or Settings()
        return cls(api_url or settings.api_url, api_key=api_key or settings.client_key(),
                   **options)

    @property
    def base_url(self) -> str:
        """The server's address."""
        return self._http.base_url

    def authenticate(self, api_key: str | None = None) -> Token:
        """``POST /api/authenticate``: trade the key (default: this client's) for a token.

        This client sends the bearer token from now on, and a new one when it expires.
        """
        key = api_key or self._http.api_key
        if api_key is not None:
            self._http.api_key = api_key
        self._http.token = None
        token = Token.model_validate(
            self._http.json("POST", "/api/authenticate", json={"key": key or ""}))
        self._http.token = token.token
        return token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Any other route: send a request (httpx keyword arguments); its decoded JSON.

        For routes without a method here, e.g. a service made with ``modelworks new service``.
        """
        return self._http.json(method, path, **kwargs)

    def close(self) -> None:
        """Close this client's connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
