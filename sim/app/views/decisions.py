"""The view "Decision log": every board meeting of one replication (proposal, share agreed,
money moved, pivotal member, how it was decided, ring-fences that bound) and why, in words
(as ``python -m sim explain``), filtered by replication, money moved, place and words."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from sim.app.run_cache import Showing
from sim.units.money import PENCE_PER_MILLION

TITLE = "Decision log"
#: Most rows of the decision log shown at once (every meeting of the replication is
#: explained, so that "Why contains" can search all of them).
MAX_EXPLAINED = 60
#: Width of the "why" column, pixels: with the meeting and month beside it, it fits the
#: table at 800 pixels wide (about 470 pixels of main area); the numbers scroll beside it.
WHY_WIDTH = 300
#: Characters of an explanation per line of its cell (at the table's 14-pixel font), the
#: height of a line, and the most lines a row is given (the cell opens whole on a click,
#: and "Read one explanation" below shows it in full).
CHARS_PER_LINE = 44
LINE_PX = 21
MAX_LINES = 8


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    r = showing.run
    res = r.results
    if res.scenario.recovery.model == "recovery_plan":
        what = (
            "Every board meeting of one replication: what the recovery plan asked the board "
            "to find beyond the director of finance's delegated pauses, what it paused and "
            "from where, and why, in words (as python -m sim explain)."
        )
    else:
        what = (
            "Every board meeting of one replication: what was proposed (secondary care's "
            "underlying forecast overspend), what the board agreed and moved, who was "
            "pivotal, which ring-fences bound, and why, in words (as python -m sim explain)."
        )
    st.caption(what)
    c1, c2, c3 = st.columns([1, 1.5, 2])
    rep = int(
        c1.number_input(
            "Replication", min_value=0, max_value=res.n - 1, value=0, step=1, key="log_replication"
        )
    )
    moved_only = c2.toggle("Only meetings that moved money", value=True, key="log_moved")
    text = c3.text_input(
        "Why contains",
        value="",
        key="log_text",
        placeholder="e.g. a member, a sector or a ring-fence",
    )
    d = r.decisions.filter(pc.equal(r.decisions["replication"], res.replications[rep]))
    if moved_only:
        d = d.filter(pc.greater(d["moved_pence"], 0))
    if len(res.place_names) > 1:
        places = st.multiselect("Places", list(res.place_names), key="log_places")
        if places:
            d = d.filter(pc.is_in(d["place"], pa.array(places)))
    if d.num_rows == 0:
        st.info("No meeting matches these filters.")
        return
    why = r.explanations(int(res.replications[rep]))
    meetings = d["meeting"].to_pylist()
    texts = [why.get(m, "") for m in meetings]
    if text.strip():
        keep = [text.strip().lower() in t.lower() for t in texts]
        d = d.filter(pa.array(keep, type=pa.bool_()))
        texts = [t for t, k in zip(texts, keep, strict=True) if k]
        meetings = d["meeting"].to_pylist()
    if d.num_rows == 0:
        st.info("No meeting matches these filters.")
        return
    money = [round(float(x) / PENCE_PER_MILLION, 1) for x in d["moved_pence"].to_pylist()]
    table = pa.table(
        {
            "meeting": meetings,
            "month": d["period"].to_pylist(),
            # Early, so that it is on screen at any width, and wrapped in tall rows.
            "why": [t.replace("\n", " ") for t in texts],
            "kind": ["extraordinary" if x else "scheduled" for x in d["extraordinary"].to_pylist()],
            "place": d["place"].to_pylist(),
            "proposal £m": [
                round(x / PENCE_PER_MILLION, 1) for x in d["proposal_pence"].to_pylist()
            ],
            "agreed": d["cover"].to_pylist(),
            "moved £m": money,
            "pivotal member": d["pivot"].to_pylist(),
            "decided": [
                "not quorate" if not q else ("by consensus" if c else "by vote")
                for q, c in zip(d["quorate"].to_pylist(), d["consensus"].to_pylist(), strict=True)
            ],
            "ring-fences that bound": [", ".join(x) for x in d["bound_rules"].to_pylist()],
        }
    )
    if len(res.place_names) == 1:
        table = table.drop_columns(["place"])
    longest = max((len(t) for t in texts), default=0)
    st.dataframe(
        table.slice(0, MAX_EXPLAINED),
        hide_index=True,
        row_height=row_height(longest),
        column_config={
            "agreed": st.column_config.NumberColumn(format="percent"),
            "why": st.column_config.TextColumn(width=WHY_WIDTH),
        },
    )
    if d.num_rows > MAX_EXPLAINED:
        st.caption(f"The first {MAX_EXPLAINED} of {d.num_rows} rows.")
    pick = st.selectbox(
        "Read one explanation",
        sorted(set(meetings)),
        key="log_meeting",
        format_func=lambda m: f"meeting {m}",
    )
    if pick is not None:
        st.code(why[int(pick)], language=None, wrap_lines=True)


def row_height(longest: int) -> int:
    """Pixels of a row tall enough to wrap the longest explanation (Streamlit wraps a
    cell's text only in rows taller than 64 pixels), up to :data:`MAX_LINES` lines."""
    lines = min(MAX_LINES, max(4, -(-longest // CHARS_PER_LINE)))
    return lines * LINE_PX + 8
