"""The embedded demo warehouse: an online shop, generated locally and deterministically."""
