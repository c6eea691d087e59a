"""Clients of Belvedere's app for the tests (:mod:`.client`)."""
