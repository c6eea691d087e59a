"""Schedules: reports and alerts sent on a cron, run as their owner or as each recipient."""
