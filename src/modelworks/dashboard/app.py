"""Entry point of ``modelworks dashboard``: the page list (each page is its own module)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"


def main() -> None:
    """Configure the app and run the chosen page."""
    st.set_page_config(page_title="modelworks", layout="wide")
    navigation = st.navigation([
        st.Page(PAGES / "inference.py", title="Inference", default=True),
        st.Page(PAGES / "training.py", title="Training"),
        st.Page(PAGES / "explore.py", title="Explore data"),
        st.Page(PAGES / "services.py", title="Other services"),
    ])
    st.sidebar.caption("modelworks · resumes")
    navigation.run()


main()
