"""API keys (admin): list, create with scopes, rotate, revoke. A secret is shown once."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from modelworks.client import ApiError
from modelworks.client.console import NewKey
from modelworks.dashboard import session

SCOPES = ("predict", "history", "train", "admin")
NEW_KEY = "keys-new-key"


def render() -> None:
    """The page."""
    st.title("API keys")
    api = session.client()
    if (made := st.session_state.pop(NEW_KEY, None)) is not None:
        st.success(f"key {made.key_id} ({made.name or 'unnamed'}, "
                   f"{', '.join(made.scopes)}): copy its secret now, it is not shown again")
        st.code(made.key, language=None)
    with st.form("new-key", clear_on_submit=True):
        name = st.text_input("Name", placeholder="e.g. batch scoring job")
        scopes = st.multiselect("Scopes", SCOPES, default=["predict"])
        if st.form_submit_button("Create key", type="primary"):
            _remember(lambda: api.create_key(scopes, name=name))
    try:
        found = api.api_keys()
    except ApiError as error:
        st.error(error.message)
        return
    st.dataframe(pd.DataFrame([k.model_dump() for k in found]), hide_index=True,
                 width="stretch")
    active = [k.key_id for k in found if k.revoked_at is None]
    if not active:
        return
    chosen = st.selectbox("Key", active, key="keys-chosen")
    rotate, revoke = st.columns(2)
    if rotate.button("Rotate (new secret, old one revoked)"):
        _remember(lambda: api.rotate_key(chosen))
    if revoke.button("Revoke"):
        try:
            api.revoke_key(chosen)
        except ApiError as error:
            st.error(error.message)
        else:
            st.rerun()


def _remember(make: Callable[[], NewKey]) -> None:
    """Make a key and show its secret on the next run (once)."""
    try:
        st.session_state[NEW_KEY] = make()
    except ApiError as error:
        st.error(error.message)
    else:
        st.rerun()
