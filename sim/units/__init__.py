"""The units everything counts in: integer pence, and the months of the financial year."""
