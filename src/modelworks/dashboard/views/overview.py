"""The first page after login: every service, its live version and how it scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import catalog, session


def render() -> None:
    """The page."""
    st.title("Services")
    identity = session.identity()
    if identity is None:
        return
    api = session.client()
    st.caption(f"Logged in as {identity.name} with the scopes {', '.join(identity.scopes)}. "
               "Each service has its page in the sidebar.")
    try:
        names = catalog.services(api, identity)
    except ApiError as error:
        st.error(error.message)
        return
    if not identity.allows("train"):
        st.dataframe(pd.DataFrame({"service": names}), hide_index=True)
        return
    rows: list[dict[str, object]] = []
    for name in names:
        try:
            status = catalog.models(api, name)
        except ApiError as error:
            rows.append({"service": name, "problem": error.message})
            continue
        live = next((v for v in status.versions if v.live), None)
        rows.append({"service": name, "live version": status.live,
                     "versions": len(status.versions),
                     "kind": live.kind if live else "",
                     "primary metric": status.primary_metric,
                     "live score": None if live is None
                     else live.metrics.get(status.primary_metric),
                     "trained": live.created_at[:19] if live else "",
                     "problem": status.last_error or ""})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
