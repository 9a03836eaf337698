"""The rules of the system, as pure array functions: need, spill-over, the board and its voting power, the plan, places, ring-fences, projection and the ledger."""
