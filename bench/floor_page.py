"""The floor of the page benchmarks: one 500-row grid (streamlit-aggrid, as the registers use) and nothing else.

bench/pages.py runs it under AppTest; bench/browser.py has the console serve it (PROPDESK_BENCH_FLOOR_PAGE=1
adds it to the navigation of app.py) so the browser floor goes through the same server as the pages.
"""

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid

st.title("500")
frame = pd.DataFrame({"code": [f"1-1-{n}" for n in range(500)], "name": ["张伟"] * 500,
                      "area": [89.5 + n for n in range(500)], "status": ["已入住"] * 500})
AgGrid(frame, key="floor", height=400)
