"""The dashboard's pages, one module each, each with a ``render`` function.

Not named ``pages/``: Streamlit would list such a folder as pages of its own.
"""
