"""The login page: paste an API key; the dashboard then offers what its scopes allow."""

from __future__ import annotations

import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import session


def render() -> None:
    """The page."""
    st.title("modelworks console")
    st.caption(f"API: {session.api_url()}")
    if (problem := st.session_state.pop("login-error", None)) is not None:
        st.error(f"the key from the environment was refused: {problem}")
    with st.form("login"):
        key = st.text_input("API key", type="password", placeholder="mw_…",
                            help="Kept in this browser session only; `modelworks keys create` "
                                 "or an admin's API keys page makes one.")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            session.login(key.strip())
        except ApiError as error:
            st.error(error.message)
        else:
            st.rerun()
    st.caption("predict: try the services · history: predictions and monitoring · "
               "train: versions, training and jobs · admin: promote, roll back, keys")
