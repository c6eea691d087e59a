"""The schema browser's data: catalogs listed at once, their columns loaded in bulk behind,
cached with a TTL, searchable."""
