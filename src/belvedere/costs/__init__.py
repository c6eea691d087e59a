"""Cost governance: caps per query and budgets of bytes billed per day and month, on the
connections that bill by bytes (BigQuery), enforced by the execution service before a job
starts; one-off raises an admin grants; accounting and alerts."""
