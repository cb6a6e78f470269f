"""Entry point of ``modelworks dashboard``: the page list (each page is its own module)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# Not named `pages/`: Streamlit would list such a folder as pages of its own before
# st.navigation first runs, so a first visit to /training would skip this script.
VIEWS = Path(__file__).parent / "views"


def main() -> None:
    """Configure the app and run the chosen page."""
    st.set_page_config(page_title="modelworks", layout="wide")
    navigation = st.navigation([
        st.Page(VIEWS / "inference.py", title="Inference", default=True),
        st.Page(VIEWS / "training.py", title="Training"),
        st.Page(VIEWS / "explore.py", title="Explore data"),
        st.Page(VIEWS / "services.py", title="Other services"),
    ])
    st.sidebar.caption("modelworks · resumes")
    navigation.run()


main()
