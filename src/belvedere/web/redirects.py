"""Where a browser may be sent back to after signing in or authorizing: this site only."""

from __future__ import annotations

#: Longest ``next`` kept; a longer one is not a page of ours.
MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """A redirect target after sign-in: a path on this site only, never another site.

    Refused (``/`` instead): anything not starting with one ``/`` (a scheme, ``//host``),
    backslashes (browsers read ``/\\host`` as ``//host``), control characters (browsers drop
    tabs and newlines, so ``/<tab>/host`` is ``//host``) and overlong values.
    """
    if (
        not target
        or len(target) > MAX_NEXT
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return "/"
    return target
