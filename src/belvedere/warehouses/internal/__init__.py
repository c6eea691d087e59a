"""The built-in connection ``belvedere``: Belvedere's own records, queried with SQL."""
