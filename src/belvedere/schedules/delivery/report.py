"""What a schedule delivers (a :class:`Report` of :class:`Section` s), drawn as the HTML and
plain text of an e-mail; and :class:`DeliveryFailed`, a channel's refusal in its own words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

#: Rows of a section's table an e-mail shows; the CSV attached holds them all.
MAX_TABLE_ROWS = 50


class DeliveryFailed(Exception):
    """A delivery that did not happen: ``message`` is the server's words (an SMTP reply, or an
    HTTP status with an excerpt of the body); ``status`` the HTTP status or SMTP code, if any."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Section:
    """One chart or table of a report."""

    title: str
    png: bytes | None  # a chart drawn on the server, inline in the e-mail
    columns: list[str]
    rows: list[list[Any]]  # JSON-safe values; the HTML table shows at most MAX_TABLE_ROWS
    csv: bytes  # the section's whole data, attached as CSV
    csv_name: str  # e.g. "revenue-by-region.csv"
    note: str | None = None  # e.g. "Showing 50 of 1,000 rows", or an error in words


@dataclass(frozen=True)
class Report:
    """A report (or an alert's notice) as every channel delivers it."""

    subject: str
    title: str
    link: str  # absolute URL back to the object in Belvedere
    sections: list[Section]
    intro: str | None = None  # e.g. an alert's "Revenue is above 1,000 (1,234)."


def showing_note(total: int) -> str:
    """The note under a table cut to :data:`MAX_TABLE_ROWS` of ``total`` rows."""
    return f"Showing {MAX_TABLE_ROWS:,} of {total:,} rows"


def notes(section: Section) -> list[str]:
    """What is said under a section's table: its own note, and that the table was cut."""
    said = [section.note] if section.note else []
    if len(section.rows) > MAX_TABLE_ROWS:
        cut = showing_note(len(section.rows))
        if cut not in said:
            said.append(cut)
    return said


def cell(value: Any) -> str:
    """A value as a table cell shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_STYLE = {
    "body": "font-family:Helvetica,Arial,sans-serif;color:#1f2328;max-width:720px",
    "table": "border-collapse:collapse;font-size:13px;margin:8px 0",
    "th": "border:1px solid #d0d7de;padding:4px 8px;background:#f6f8fa;text-align:left",
    "td": "border:1px solid #d0d7de;padding:4px 8px",
    "note": "color:#656d76;font-size:12px",
    "img": "max-width:100%;height:auto",
}


def html(report: Report, image_ids: Mapping[int, str]) -> str:
    """The e-mail's HTML: ``image_ids`` maps a section's index to the Content-ID of its PNG."""
    parts = [
        f'<html><body style="{_STYLE["body"]}">',
        f"<h1>{escape(report.title)}</h1>",
    ]
    if report.intro:
        parts.append(f"<p>{escape(report.intro)}</p>")
    for index, section in enumerate(report.sections):
        parts.append(f"<h2>{escape(section.title)}</h2>")
        if index in image_ids:
            parts.append(
                f'<img src="cid:{escape(image_ids[index])}" alt="{escape(section.title)}" '
                f'style="{_STYLE["img"]}">'
            )
        if section.columns:
            parts.append(_html_table(section))
        parts.extend(f'<p style="{_STYLE["note"]}">{escape(n)}</p>' for n in notes(section))
        parts.append(f'<p style="{_STYLE["note"]}">Data: {escape(section.csv_name)} (attached)</p>')
    parts.append(f'<p><a href="{escape(report.link)}">Open in Belvedere</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(section: Section) -> str:
    head = "".join(f'<th style="{_STYLE["th"]}">{escape(c)}</th>' for c in section.columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td style="{_STYLE["td"]}">{escape(cell(v))}</td>' for v in row)
        + "</tr>"
        for row in section.rows[:MAX_TABLE_ROWS]
    )
    return f'<table style="{_STYLE["table"]}"><tr>{head}</tr>{body}</table>'


def text(report: Report) -> str:
    """The e-mail's plain-text alternative."""
    lines = [report.title, "=" * len(report.title), ""]
    if report.intro:
        lines += [report.intro, ""]
    for section in report.sections:
        lines += [section.title, "-" * len(section.title)]
        if section.columns:
            lines.append("\t".join(section.columns))
            lines += ["\t".join(cell(v) for v in row) for row in section.rows[:MAX_TABLE_ROWS]]
        lines += notes(section)
        lines += [f"Data: {section.csv_name} (attached)", ""]
    lines.append(f"Open in Belvedere: {report.link}")
    return "\n".join(lines) + "\n"
