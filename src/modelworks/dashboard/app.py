"""Entry point of ``modelworks dashboard``: the login, then the pages the key's scopes allow.

Pages are built from what the API says it serves (see ``navigation``), so a new service gets
its Try, Versions, History and Monitoring sections without dashboard code.
"""

from __future__ import annotations

import streamlit as st

from modelworks.client import ApiError
from modelworks.dashboard import catalog, navigation, session
from modelworks.dashboard.views import login


def main() -> None:
    """Log in, or run the chosen page of the logged-in key's navigation."""
    st.set_page_config(page_title="modelworks console", layout="wide")
    identity = session.identity()
    if identity is None:
        st.navigation([st.Page(login.render, title="Log in", url_path="login",
                               default=True)], position="hidden").run()
        return
    try:
        names = catalog.services(session.client(), identity)
    except ApiError as error:
        st.error(f"the API does not answer: {error.message}")
        names = []
    pages: dict[str, list[st.Page]] = {}
    by_path: dict[str, st.Page] = {}
    for group, entries in navigation.menu(identity, names).items():
        pages[group] = []
        for entry in entries:
            page = st.Page(entry.render, title=entry.title, url_path=entry.url_path or None,
                           default=entry.url_path == "")
            pages[group].append(page)
            by_path[entry.url_path] = page
    st.session_state[navigation.PAGES] = by_path
    with st.sidebar:
        st.caption(f"**{identity.name}** · {', '.join(identity.scopes)}"
                   + (" · auth off" if identity.auth == "off" else ""))
        if st.button("Log out", key="logout"):
            session.logout()
            st.rerun()
    st.navigation(pages).run()


main()
