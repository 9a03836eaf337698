"""The view "Board power": exact Shapley-Shubik and Banzhaf voting power by bloc (chart) and
by member (table), for each composition of the board (:mod:`sim.model.power`)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import streamlit as st

from sim.app.charts import show_power
from sim.app.labels import CONSTITUENCY_LABELS, RULE_LABELS
from sim.app.run_cache import Showing
from sim.app.screen import table_height

TITLE = "Board power"


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    res = showing.run.results
    comps = res.compositions
    cal = res.calendar
    if not comps:
        st.info("No board composition was recorded.")
        return
    pick = 0
    if len(comps) > 1:
        pick = int(
            st.selectbox(
                "Board from",
                range(len(comps)),
                key="power_from",
                format_func=lambda i: cal.label(comps[i][0]),
            )
        )
    month, vp = comps[pick]
    b = vp.by_bloc()
    rule = RULE_LABELS.get(vp.rule, vp.rule)
    st.caption(
        f"Exact voting power from {cal.label(month)} under {rule.lower()}"
        + (", with the chair's casting vote" if vp.casting_vote else "")
        + ". Shapley-Shubik: the share of orderings of the voters in which a member is pivotal; "
        "Banzhaf: the share of swings. With one member one vote every member has 1/n; blocs "
        "differ by their seats and the chair by the casting vote (docs/power.md)."
    )
    bloc_rows: list[dict[str, Any]] = []
    for j, bloc in enumerate(b.blocs):
        for index, values in (
            ("Shapley-Shubik", b.shapley_shubik),
            ("Banzhaf", b.banzhaf_normalised),
        ):
            bloc_rows.append(
                {
                    "bloc": CONSTITUENCY_LABELS.get(bloc, bloc),
                    "index": index,
                    "power": float(values[j]),
                    "voting members": int(b.voting_members[j]),
                }
            )
    st.subheader("Power by bloc")
    show_power(bloc_rows)
    st.subheader("Power by member")
    table = pa.table(
        {
            "member": list(vp.names),
            "constituency": [CONSTITUENCY_LABELS.get(c, c) for c in vp.constituencies],
            "voting": list(vp.voting),
            "Shapley-Shubik": [float(x) for x in vp.shapley_shubik],
            "Banzhaf (normalised)": [float(x) for x in vp.banzhaf_normalised],
            "Banzhaf (chance decisive)": [float(x) for x in vp.banzhaf_absolute],
        }
    )
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(table.num_rows),
        column_config={
            "Shapley-Shubik": percent,
            "Banzhaf (normalised)": percent,
            "Banzhaf (chance decisive)": percent,
        },
    )
