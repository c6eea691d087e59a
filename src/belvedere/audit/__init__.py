"""The audit trail: every run, by whom, as whom, where from, at what cost; kept for a while."""
