"""Who is logged in to this browser session, and the API client that acts for them.

The dashboard holds no key of its own: the person pastes one on the login page. For a local
run it may log in by itself with ``MODELWORKS_API_KEY``, or with the admin key of the home
folder when it was started with ``--local`` (never otherwise: a published dashboard must not
act as the admin of whoever reaches it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from modelworks.client import ApiError, Client
from modelworks.client.console import Identity
from modelworks.core.settings import Settings

T = TypeVar("T")

LOCAL_FLAG = "--local"
_CLIENT = "session-client"
_IDENTITY = "session-identity"
_LOGGED_OUT = "session-logged-out"


def api_url() -> str:
    """The API this dashboard talks to (``MODELWORKS_API_URL``)."""
    return Settings().api_url


def local_run() -> bool:
    """Whether the dashboard was started with ``--local`` (``streamlit run app.py -- --local``)."""
    return LOCAL_FLAG in sys.argv[1:]


def environment_key() -> str | None:
    """The key a local run logs in with, if any.

    ``MODELWORKS_API_KEY``, else with ``--local`` the home folder's admin key; ``None`` when
    neither applies.
    """
    settings = Settings()
    if settings.api_key is not None and settings.api_key.get_secret_value().strip():
        return settings.api_key.get_secret_value().strip()
    return settings.client_key() if local_run() else None


def login(key: str | None) -> Identity:
    """Ask the API who ``key`` is; on success the session acts with it.

    Raises ``ApiError`` when the API refuses the key (the session stays logged out).
    """
    client = Client(api_url(), api_key=key or None)
    try:
        identity = client.whoami()
    except ApiError:
        client.close()
        raise
    st.session_state[_CLIENT] = client
    st.session_state[_IDENTITY] = identity
    st.session_state.pop(_LOGGED_OUT, None)
    return identity


def logout() -> None:
    """Forget the key; the login page shows next, without logging in by itself again."""
    client = st.session_state.pop(_CLIENT, None)
    if isinstance(client, Client):
        client.close()
    st.session_state.pop(_IDENTITY, None)
    st.session_state[_LOGGED_OUT] = True


def identity() -> Identity | None:
    """The logged-in key's identity; logs in with the environment's key on a first visit."""
    found = st.session_state.get(_IDENTITY)
    if isinstance(found, Identity):
        return found
    key = None if st.session_state.get(_LOGGED_OUT) else environment_key()
    if key is None:
        return None
    try:
        return login(key)
    except ApiError as error:
        st.session_state["login-error"] = error.message
        return None


def client() -> Client:
    """The logged-in session's client; the page stops, asking to log in, when there is none."""
    identity()  # a first visit of a local run logs in with the environment's key
    found = st.session_state.get(_CLIENT)
    if not isinstance(found, Client):
        st.warning("Log in first.")
        st.stop()
    return found


def allows(scope: str) -> bool:
    """Whether the logged-in key holds ``scope``."""
    found = identity()
    return found is not None and found.allows(scope)


def remembered(name: str, seconds: float, fetch: Callable[[], T]) -> T:
    """``fetch()``'s answer, kept in this session for ``seconds``.

    Per session, not ``st.cache_data``: what the API answers depends on the session's key.
    """
    stored = st.session_state.get(f"remembered-{name}")
    now = time.monotonic()
    if isinstance(stored, tuple) and now - stored[0] < seconds:
        value: T = stored[1]
        return value
    fresh = fetch()
    st.session_state[f"remembered-{name}"] = (now, fresh)
    return fresh


def forget(prefix: str = "") -> None:
    """Drop what ``remembered`` kept under names starting with ``prefix`` (after a change)."""
    for name in [n for n in st.session_state if str(n).startswith(f"remembered-{prefix}")]:
        del st.session_state[name]
