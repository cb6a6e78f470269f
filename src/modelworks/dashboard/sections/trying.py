"""Try a service: one form per prediction operation it declares, its example filled in."""

from __future__ import annotations

import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard.catalog import operations
from modelworks.dashboard.session import client
from modelworks.dashboard.tryout import try_operation


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
    for number, operation in enumerate(found):
        try_operation(api, operation, key=f"{service}-{number}")
