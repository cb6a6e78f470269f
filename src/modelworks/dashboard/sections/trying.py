"""Try a service: one form per prediction operation it declares, its example filled in.

After a run, a key that may read history sees the service's newest stored predictions, the
new one first, as the resumes document asks ("display the contents of the table after each
inference run") and as is useful for every service.
"""

from __future__ import annotations

import time

import streamlit as st

from modelworks.client import ApiError, Client
from modelworks.dashboard import logbook
from modelworks.dashboard.catalog import operations
from modelworks.dashboard.session import allows, client
from modelworks.dashboard.tryout import try_operation

STORED_ROWS = 10
LOG_WAIT_SECONDS = 3.0
"""The prediction log writes in batches: how long to wait for the new row to show."""


def render(service: str) -> None:
    """The section."""
    api = client()
    try:
        found = operations(api, service)
    except ApiError as error:
        st.error(error.message)
        return
    if not found:
        st.info(f"{service} declares no prediction operation.")
    watching = allows("history")
    newest = _newest_id(api, service) if watching else None
    sent = [try_operation(api, operation, key=f"{service}-{number}")
            for number, operation in enumerate(found)]
    tried = f"tried-{service}"
    if any(sent):
        st.session_state[tried] = True
        if watching:
            _wait_for_a_row_after(api, service, newest)
    if watching and st.session_state.get(tried):
        st.subheader("Stored predictions, newest first")
        try:
            page = api.predictions(service, limit=STORED_ROWS)
        except ApiError as error:
            st.error(error.message)
            return
        st.dataframe(logbook.table(page.predictions), hide_index=True, width="stretch",
                     key=f"stored-{service}")


def _newest_id(api: Client, service: str) -> int:
    try:
        page = api.predictions(service, limit=1)
    except ApiError:
        return 0
    return page.predictions[0].id if page.predictions else 0


def _wait_for_a_row_after(api: Client, service: str, newest: int | None) -> None:
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while time.monotonic() < deadline and _newest_id(api, service) <= (newest or 0):
        time.sleep(0.1)
