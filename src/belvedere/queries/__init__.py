"""Saved queries: SQL a user keeps, private to them unless shared with everyone who runs SQL."""
