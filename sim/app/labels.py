"""The words the app shows for the scenario format's codes: constituencies, voting rules."""

from __future__ import annotations

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
CONSTITUENCY_LABELS = {
    "chair": "Chair",
    "executive": "Executives",
    "non_executive": "Non-executives",
    "trust": "Trust partners",
    "primary_care": "Primary care (GP) partners",
    "local_authority": "Local authority partners",
    "mental_health": "Mental health partners",
    "place": "Place members",
    "other": "Other members",
}
RULE_LABELS = {
    "consensus_then_majority": "Consensus, then simple majority",
    "simple_majority": "Simple majority",
    "two_thirds": "Two-thirds majority",
    "unanimity": "Unanimity",
}
