"""Shared Streamlit pieces: the grid adapter, formatting, the message catalog, the session actor."""
