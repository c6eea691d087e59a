"""The schema browser's data: catalogs loaded in bulk, cached with a TTL, searchable."""
