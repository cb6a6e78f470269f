"""One connection to a modelworks API: credentials, retries, and errors a caller can read.

httpx is imported when the first request is sent, not with this module: ``modelworks serve``
imports the CLI, and so this package, and starts faster without it.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 30.0
RETRIES = 3
BACKOFF_SECONDS = 0.25
AUTHENTICATE = "/api/authenticate"
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_KEY_SHAPE = re.compile(r"mw_[0-9a-f]+_[\w-]+")


class ApiError(Exception):
    """The API refused a request, or could not be reached.

    ``message`` says why in the server's words; ``status`` is the HTTP status (``None`` when
    no answer came); ``field`` names the input at fault when the server said which; ``body``
    is the decoded JSON answer, when it was JSON.
    """

    def __init__(self, message: str, status: int | None = None, field: str | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
        self.body = body


class ApiUnreachable(ApiError):
    """No answer: the server could not be reached, even after the retries."""


def redact(text: str) -> str:
    """``text`` with anything shaped like an API key blanked (error messages get printed)."""
    return _KEY_SHAPE.sub("mw_***", text)


class Transport:
    """An ``httpx.Client`` with this API's credentials, retries and error decoding.

    Connection failures (refused, reset, timed out before an answer) are retried ``retries``
    times with exponential backoff: for every method when the request never reached the
    server, and also after it was sent for methods that may be repeated (GET, PUT, DELETE).
    An answer, a 4xx above all, is never retried: sending it again would get the same answer.
    """

    def __init__(self, base_url: str, *, api_key: str | None = None, token: str | None = None,
                 timeout: float = TIMEOUT_SECONDS, retries: int = RETRIES,
                 backoff_seconds: float = BACKOFF_SECONDS, http: httpx.Client | None = None
                 ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._http = http
        self._owns_http = http is None

    @property
    def http(self) -> httpx.Client:
        """The underlying ``httpx.Client`` (made on first use; it keeps connections open)."""
        if self._http is None:
            import httpx

            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def close(self) -> None:
        """Close the connections this transport opened (one it was given stays open)."""
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def headers(self) -> dict[str, str]:
        """The credential: a bearer token when there is one, else the API key."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request (httpx keyword arguments); the answer, or ``ApiError`` for a 4xx/5xx.

        A 401 on a bearer token, when the API key it came from is known, is answered once
        with a new token (sessions expire; a long batch outlives one).
        """
        response = self._send_once(method, path, kwargs)
        if response.status_code == 401 and self.token and self.api_key and path != AUTHENTICATE:
            self.token = None
            self.token = str(self.json("POST", AUTHENTICATE, json={"key": self.api_key})["token"])
            response = self._send_once(method, path, kwargs)
        if response.is_error:
            raise _error(response)
        return response

    def _send_once(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        import httpx

        url = self.base_url + path
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, url, headers=self.headers(), **kwargs)
                break
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                repeatable = never_sent or method.upper() in _IDEMPOTENT
                if attempt == self.retries or not repeatable:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise ApiUnreachable(f"cannot reach the API at {self.base_url}{tries}: "
                                         f"{type(exc).__name__}: {exc}") from exc
                time.sleep(self.backoff_seconds * 2 ** attempt)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; its decoded JSON answer."""
        return self.send(method, path, **kwargs).json()


def _error(response: httpx.Response) -> ApiError:
    """The server's own message (``{"error": ...}``), else the body's text."""
    field = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("error") or body.get("message")):
        message = str(body.get("error") or body.get("message"))
        field = body.get("field") if isinstance(body.get("field"), str) else None
    else:
        message = response.text.strip()[:500] or response.reason_phrase
    return ApiError(f"{response.status_code}: {redact(message)}", response.status_code, field,
                    body)
