"""One file per screen: widgets -> services -> widgets. No SQL here.

Not named `pages/`: Streamlit treats a `pages/` folder beside app.py as an old-style
multi-page app, and on a fresh server a deep link such as /owners would run the page
file directly, without app.py's sign-in gate and navigation.
"""
