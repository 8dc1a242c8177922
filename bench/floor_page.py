"""The floor of the page benchmarks: one 500-row grid (streamlit-aggrid, as the registers use) and nothing else.

PROPDESK_BENCH_FLOOR_PAGE=1 adds it to the navigation of app.py, so that both floors go through the same app shell
as the pages they are compared with: bench/pages.py opens it under AppTest signed in, bench/browser.py has the
console serve it.
"""

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid

st.title("500")
frame = pd.DataFrame({"code": [f"1-1-{n}" for n in range(500)], "name": ["张伟"] * 500,
                      "area": [89.5 + n for n in range(500)], "status": ["已入住"] * 500})
AgGrid(frame, key="floor", height=400)
