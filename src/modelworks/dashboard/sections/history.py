"""A service's prediction log, newest first, filtered by version and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import logbook
from modelworks.dashboard.catalog import models
from modelworks.dashboard.session import allows, client

WINDOWS = {"last hour": timedelta(hours=1), "last 24 hours": timedelta(days=1),
           "last 7 days": timedelta(days=7), "all time": None}
PAGE_ROWS = 50


def render(service: str) -> None:
    """The section."""
    api = client()
    versions: list[int] = []
    if allows("train"):
        try:
            versions = [v.version for v in models(api, service).versions]
        except ApiError:
            versions = []  # the log is still readable without the version list
    left, middle, right = st.columns(3)
    window = left.selectbox("Time", list(WINDOWS), index=1, key=f"history-window-{service}")
    version = middle.selectbox("Version", [None, *versions],
                               format_func=lambda n: "all" if n is None else str(n),
                               key=f"history-version-{service}")
    page = right.number_input("Page", min_value=1, value=1, key=f"history-page-{service}")
    span = WINDOWS[window]
    try:
        found = api.predictions(
            service, version=version,
            since=None if span is None else datetime.now(UTC) - span,
            limit=PAGE_ROWS, offset=(int(page) - 1) * PAGE_ROWS)
    except ApiError as error:
        st.error(error.message)
        return
    if not found.predictions:
        st.info("No prediction of this service in that window.")
        return
    st.caption(f"{len(found.predictions)} predictions, newest first "
               f"(rows {found.offset + 1}-{found.offset + len(found.predictions)})")
    st.dataframe(logbook.table(found.predictions), hide_index=True, width="stretch")
