"""The Streamlit dashboard: explore, train, promote and infer through the API (never files)."""
