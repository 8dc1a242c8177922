"""Real-browser tests: a Streamlit server on a demo database, driven by Debian's Chromium via Playwright."""
