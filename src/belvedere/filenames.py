"""File names for downloads and attachments, made from titles people typed."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: Longest stem kept from a title.
MAX_STEM = 80


def file_stem(title: str, fallback: str) -> str:
    """A title as a file name's stem: ``Revenue by région!`` -> ``Revenue-by-région``.

    Letters and digits of any script are kept; everything else becomes one hyphen. A title
    with nothing left gives ``fallback``."""
    kept = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", title)).strip("-")
    return kept[:MAX_STEM].strip("-") or fallback


def content_disposition(filename: str) -> str:
    """An ``attachment`` header value that any browser reads (RFC 6266): an ASCII
    ``filename`` for old clients, and ``filename*`` in UTF-8 when the name is not ASCII."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\]', "", ascii_name).strip()
    if not ascii_name or ascii_name.startswith("."):
        ascii_name = f"download{ascii_name}"
    if ascii_name == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
