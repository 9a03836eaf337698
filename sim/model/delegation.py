"""Who decides for each place: the committees of delegated places, the council partners whose
consent moves pooled money, and how much money is pooled in each place."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sim.model.system import System
from sim.scenario.format import Scenario
from sim.units.money import Pence, pounds_m_to_pence


def place_governance(
    scenario: Scenario,
    system: System,
    member_places: Sequence[str],
    constituencies: Sequence[str],
) -> tuple[dict[int, npt.NDArray[np.int64]], dict[int, npt.NDArray[np.int64]], Pence]:
    """Who decides for each place, and what money is pooled there.

    Args:
        member_places: each board member's place ("" for a member of the whole ICB).
        constituencies: each board member's constituency.

    Returns:
        The committee of each delegated place (indices of the members who represent it);
        the local-authority partners whose consent moves each place's pooled money; and
        the pooled money per place and sector, pence a year, shape (P, S).
    """
    # Delegated places: the members who represent each one decide its in-year support.
    members_of = {
        i: np.flatnonzero(np.array([pl == name for pl in member_places]))
        for i, name in enumerate(system.place_names)
    }
    committees = {i: members_of[i] for i, pl in enumerate(scenario.places) if pl.delegated}
    # Local-authority partners whose consent moves each place's pooled money.
    la = np.array([c == "local_authority" for c in constituencies])
    unplaced = np.array([pl == "" for pl in member_places])
    council = {
        i: np.flatnonzero(la & (unplaced | np.isin(np.arange(len(member_places)), members_of[i])))
        for i, pl in enumerate(scenario.places)
        if pl.pooled_gbp_m > 0
    }
    # Pooled money per place and sector (pence a year), held in the community budgets.
    community = system.shares * np.array([k == "community" for k in system.sector_kinds])
    community = community / community.sum() if community.sum() > 0 else community
    pooled = np.array([pounds_m_to_pence(pl.pooled_gbp_m) for pl in scenario.places])
    pooled_pence = np.floor(pooled[:, None] * community[None, :]).astype(np.int64)
    return committees, council, pooled_pence


def pooled_consent(
    council: dict[int, npt.NDArray[np.int64]],
    present: npt.NDArray[np.bool_],
    stance: npt.NDArray[np.float64],
    cover: npt.NDArray[np.float64],
    pooled: Pence,
    months_left: int,
) -> tuple[npt.NDArray[np.bool_], Pence]:
    """Whether each place's council consents to moving its pooled money, and what is held.

    Pooled money still unspent this year is held back unless a present local-authority
    partner of the place supports the amount (its consent).

    Args:
        council: the consenting members of each place with pooled money (place_governance).
        present: who is present, (n, members).
        stance: each member's stance (the share of a forecast they would cover), (members,).
        cover: the fraction of the forecast the board agreed in each place, (n, P).
        pooled: pooled money per place and sector, pence a year, (P, S).
        months_left: months of the year after this one.

    Returns:
        Consent per replication and place, (n, P); pence held in each budget, (n, P, S), or
        zeros of shape (1, P, S) when no place pools money.
    """
    n, p = cover.shape
    consent = np.zeros((n, p), dtype=bool)
    for place, members in council.items():
        agrees = present[:, members] & (stance[members][None, :] >= cover[:, place : place + 1])
        consent[:, place] = agrees.any(axis=1)
    if not council:
        return consent, np.zeros((1, p, pooled.shape[1]), dtype=np.int64)
    hold: Pence = np.where(consent[:, :, None], 0, pooled[None, :, :] * months_left // 12)
    return consent, hold
