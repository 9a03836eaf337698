"""The words the app shows for the scenario format's codes: the seats' help; the names of
constituencies and voting rules are :mod:`sim.report.settings_words`' (shared with the board
pack)."""

from __future__ import annotations

from sim.report.settings_words import CONSTITUENCY_LABELS, RULE_LABELS

__all__ = ["CONSTITUENCY_LABELS", "RULE_LABELS", "SEAT_HELP"]

#: Help text of each constituency's seat slider.
SEAT_HELP = {
    "chair": "The chair; with a casting vote, they break exact ties under majority rules.",
    "executive": "Chief executive and finance, medical and nursing directors.",
    "non_executive": "Independent non-executive members.",
    "trust": "Partner members nominated by NHS trusts (hospitals).",
    "primary_care": "Partner members for general practice (GPs).",
    "local_authority": "Partner members nominated by the councils.",
    "mental_health": "Members for mental-health trusts.",
    "place": "Members who represent a place (a council footprint).",
    "other": "Any other voting members.",
}

#: Each control's one-line explanation, in a finance lead's terms (shown on demand, by the
#: control's help icon); the scenario format's own description is for modellers.
CONTROL_HELP = {
    "rule": "How the board decides when it cannot agree: the share of votes a decision needs.",
    "quorum": "The share of the board's votes that must be present for a decision to stand.",
    "casting_vote": "Whether the chair breaks a tied vote.",
    "growth_rate": "How much the ICB's allocation rises each year, in cash, before inflation.",
    "intensity": "How big the unexpected rises and falls in demand are (1 = as in recent "
    "years, 2 = twice as big).",
    "shock_frequency": "How often a sector is hit by a sudden jump in demand, such as a "
    "winter surge (1 = as in recent years).",
    "ae_per_appointment": "How many extra A&E visits follow each GP appointment a patient "
    "cannot get; the studies support 0 to 0.1.",
    "horizon_years": "How many financial years to simulate, from the file's first year.",
    "replications": "How many possible futures to simulate: more give narrower ranges but "
    "take longer.",
    "seed": "Fixes the random futures: the same seed gives every setting the same futures, "
    "so differences come from the settings alone.",
    "fence_until": "The last month the rule applies; after it the money is no longer protected.",
}
#: What each ring-fence rule does, for its switch's help.
FENCE_HELP = {
    "min_share": "Keeps the protected sectors' share of sector money at or above the level "
    "at every month-end: in-year transfers cannot take it below.",
    "min_share_at_plan": "Sets the protected sectors' share at or above the level when the "
    "annual plan is agreed; in-year transfers may still take it below.",
    "min_growth": "The protected budget grows at least this much each year in the plan.",
    "cap_transfers_out": "Limits how much of the protected budget may be moved out in-year.",
    "no_transfers_out": "No money may be moved out of the protected budget during the year.",
    "real_terms_floor": "The protected budget never falls in real terms in the plan.",
}
