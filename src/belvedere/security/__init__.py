"""Secrets, passwords and keys."""
