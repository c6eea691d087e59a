"""SQL generation with SQLGlot, per dialect; never by pasting strings."""
