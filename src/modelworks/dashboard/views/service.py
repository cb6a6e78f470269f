"""One service's page: Try, Versions, History and Monitoring, as the key's scopes allow."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from modelworks.dashboard import navigation, session
from modelworks.dashboard.sections import history, monitoring, trying, versions

RENDERERS: dict[str, Callable[[str], None]] = {
    "Try": trying.render, "Versions": versions.render, "History": history.render,
    "Monitoring": monitoring.render}


def open_section(service: str, section: str) -> None:
    """Show ``section`` of the service's page: now, when its page is part of this run."""
    st.session_state[f"open-{service}"] = section
    page = st.session_state.get(navigation.PAGES, {}).get(service)
    if page is not None:
        st.switch_page(page)


def render(service: str) -> None:
    """The page."""
    identity = session.identity()
    allowed = navigation.sections(identity) if identity is not None else []
    st.title(service)
    if not allowed:
        st.info("This key may not use this service.")
        return
    key, last = f"section-{service}", f"last-section-{service}"
    if (wanted := st.session_state.pop(f"open-{service}", None)) in allowed:
        st.session_state[key] = wanted
    elif st.session_state.get(key) not in allowed:
        # A click on the chosen section clears it: stay where the page was.
        st.session_state[key] = st.session_state.get(last, allowed[0])
    chosen = st.segmented_control("Section", allowed, key=key, label_visibility="collapsed")
    section = chosen if chosen in allowed else allowed[0]
    st.session_state[last] = section
    RENDERERS[section](service)
