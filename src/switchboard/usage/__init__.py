"""The usage ledger and the team budgets it feeds."""
