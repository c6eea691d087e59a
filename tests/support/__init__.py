"""Real local services the tests start themselves, and small test helpers."""
