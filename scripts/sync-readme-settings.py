"""Rewrite the README's configuration table from the settings class (`make readme`)."""

from __future__ import annotations

import re
from pathlib import Path

from belvedere.settings import settings_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE = re.compile(r"\| Variable \| Type \| Default \| Description \|\n(?:\|.*\|\n)+")

text = README.read_text()
updated, count = TABLE.subn(lambda _: settings_markdown(), text)
if count != 1:
    raise SystemExit("README.md has no configuration table to replace")
README.write_text(updated)
