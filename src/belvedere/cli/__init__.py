"""The ``belvedere`` command."""
