"""The one execution service every query goes through."""
