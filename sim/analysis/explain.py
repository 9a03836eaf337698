"""Explain a board decision in words, from the decision and transfer records of a run.

The same function serves ``python -m sim explain RUN_DIR ...`` (reading the run's files) and
:meth:`sim.engine.results.Results.explain` (reading the results in memory), so both say the same.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from sim.model.board import compile_board
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import PENCE_PER_MILLION


class NoSuchMeeting(LookupError):
    """The replication or meeting number is not in the run."""


def _m(pence: float) -> str:
    return f"£{pence / PENCE_PER_MILLION:,.1f}m"


def explain(
    scenario: Scenario, decisions: pa.Table, transfers: pa.Table, replication: int, meeting: int
) -> str:
    """Describe meeting number ``meeting`` (1, 2, ...) of ``replication`` in words.

    Args:
        scenario: the scenario as run.
        decisions: the ``decisions.parquet`` table (one row per meeting and place).
        transfers: the ``transfers.parquet`` table.
    """
    rows = decisions.filter(
        pc.and_(
            pc.equal(decisions["replication"], replication), pc.equal(decisions["meeting"], meeting)
        )
    ).to_pylist()
    if not rows:
        held = pc.max(
            decisions.filter(pc.equal(decisions["replication"], replication))["meeting"]
        ).as_py()
        raise NoSuchMeeting(
            f"replication {replication} has no meeting {meeting} "
            f"({'no meetings' if held is None else f'meetings 1 to {held}'})"
        )
    cal = Calendar(scenario.start_year, scenario.horizon_years)
    board = compile_board(scenario.board, cal)
    first = rows[0]
    month = int(first["month"])
    kind = "extraordinary meeting" if first["extraordinary"] else "scheduled meeting"
    rule = (
        "recovery plan"
        if scenario.recovery.model == "recovery_plan"
        else scenario.board.rule.replace("_", " ")
    )
    lines = [
        f"Replication {replication}, meeting {meeting}: {kind} in {cal.label(month)} ({rule})."
    ]
    recovery = scenario.recovery.model == "recovery_plan"
    marker = "recovery plan: pause approved" if recovery else "board meeting"
    moves = transfers.filter(
        pc.and_(
            pc.and_(
                pc.equal(transfers["replication"], replication), pc.equal(transfers["month"], month)
            ),
            pc.match_substring(pc.cast(transfers["reason"], pa.string()), marker),
        )
    ).to_pylist()
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for t in moves:
        flows[(t["from_account"], t["to_account"])] += int(t["amount_pence"])
    for row in rows:
        place = row["place"]
        proposal, agreed, moved = row["proposal_pence"], row["agreed_pence"], row["moved_pence"]
        head = f"{place}: " if len(scenario.places) > 1 else ""
        before = row["support_before_pence"]
        here = {k: v for k, v in flows.items() if k[0].split(":")[1:2] == [place]}
        if recovery and proposal == 0:
            lines.append(
                f"{head}No recovery action was needed beyond the director of finance's "
                f"delegated pauses ({_m(before)} paused so far this year)."
            )
            continue
        if recovery and not row["quorate"]:
            lines.append(
                f"{head}The meeting was not quorate, so the board could not approve the "
                f"{_m(proposal)} of pauses the recovery plan asked for beyond the director of "
                f"finance's delegated pauses ({_m(before)} paused so far this year)."
            )
            continue
        if recovery:
            lines.append(
                f"{head}The board approved a recovery plan pausing {_m(moved)} of "
                f"discretionary spending, non-recurrently, to the reserve. It was asked to find "
                f"{_m(proposal)} beyond the director of finance's delegated pauses "
                f"({_m(before)} had already been paused this year)."
            )
            if here:
                detail = ", ".join(
                    f"{_m(v)} from {src.split(':')[2]}"
                    for (src, _), v in sorted(here.items(), key=lambda kv: -kv[1])
                )
                lines.append(f"  Pauses: {detail}.")
            if moved < proposal:
                lines.append(
                    f"  {_m(proposal - moved)} could not be found: the discretionary lines had "
                    f"reached the year's pause limit ({scenario.recovery.max_pause:.0%} of each) "
                    "or their ring-fences; it will be an overspend unless the forecast improves."
                )
            lines.append("  Approved by consensus (a recovery plan is not put to a vote).")
            continue
        lines.append(
            f"{head}{'m' if head else 'M'}oved {_m(moved)} to secondary care. Proposal: the "
            f"underlying forecast overspend, {_m(proposal)}; the board agreed "
            f"{row['cover']:.0%} of it, {_m(agreed)} of support this year ({_m(before)} had "
            "already been given this year)."
        )
        if here:
            detail = ", ".join(
                f"{_m(v)} from {src.split(':')[2]} to {dst.split(':')[2]}"
                for (src, dst), v in sorted(here.items(), key=lambda kv: -kv[1])
            )
            lines.append(f"  Transfers: {detail}.")
        how = "by consensus" if row["consensus"] else "by vote"
        if not row["quorate"]:
            lines.append("  The meeting was not quorate: nothing was decided (status quo).")
        else:
            pivot = row["pivot"] or "none"
            lines.append(f"  Decided {how}; pivotal member: {pivot}.")
        if row["delegated"]:
            lines.append("  The place's budget is delegated: its own members decided.")
        if row["pooled_held"]:
            lines.append(
                "  Pooled money limited the move: the local-authority partner did not consent."
            )
    present = set(first["present"])
    seated = board.seated(month)
    absent = [n for j, n in enumerate(board.names) if n not in present and seated[j]]
    delegated = {row["place"] for row in rows if row["delegated"]}
    groups = [
        ("", [j for j in range(board.size) if not delegated or board.places[j] not in delegated])
    ]
    groups += [
        (f"{place} committee: ", [j for j in range(board.size) if board.places[j] == place])
        for place in sorted(delegated)
    ]
    for label, members in groups if not recovery else []:
        positions: dict[tuple[str, float], int] = defaultdict(int)
        for j in members:
            if board.names[j] in present and board.voting[j]:
                positions[(board.constituencies[j], float(board.stance[j]))] += 1
        stood = ", ".join(
            f"{c.replace('_', ' ')} {s:.0%}" + (f" (x{n})" if n > 1 else "")
            for (c, s), n in sorted(positions.items(), key=lambda kv: -kv[0][1])
        )
        lines.append(
            f"  {label}Positions (share of the forecast each present voter would give): "
            f"{stood or 'nobody present'}."
        )
    lines.append(
        f"  Present: {len(present)} of {int(seated.sum())} members"
        + (f" (absent: {', '.join(absent)})." if absent else ".")
    )
    bound = first["bound_rules"]
    if bound:
        lines.append(f"  Ring-fences that limited what could be taken: {', '.join(bound)}.")
    return "\n".join(lines)
