"""When a schedule fires: a cron expression (croniter) read in an IANA time zone (zoneinfo)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

#: Shorthands croniter reads besides five fields.
ALIASES = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
FIELDS = "minute hour day-of-month month day-of-week"
#: Each field's name and the values it takes, to say which one is wrong.
FIELD_RANGES = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day-of-week", "0-7 or sun-sat"),
)
EXAMPLE = "'0 8 * * 1' (Mondays at 08:00)"


class ScheduleInvalid(ValueError):
    """A schedule's field holds a value it cannot have; answered 422 with the field named."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _iterator(expression: str, zone: ZoneInfo, start: datetime) -> croniter:
    return croniter(expression, start.astimezone(zone))


def validate_cron(expression: str) -> None:
    """Refuse anything but five cron fields (or a shorthand such as ``@daily``) that fire at
    least once (``ScheduleInvalid`` on ``cron``)."""
    text = expression.strip()
    fields = text.split()
    if text.lower() not in ALIASES and len(fields) != 5:
        raise ScheduleInvalid(
            "cron",
            f"A cron expression has five fields ({FIELDS}), e.g. {EXAMPLE}; "
            f"{text!r} has {len(fields)}.",
        )
    try:
        _iterator(text, ZoneInfo("UTC"), datetime.now(UTC)).get_next(datetime)
    except CroniterBadDateError:
        raise ScheduleInvalid("cron", f"The cron expression {text!r} never fires.") from None
    except (CroniterBadCronError, ValueError, KeyError):
        raise ScheduleInvalid(
            "cron", f"Invalid cron expression {text!r}: {_fault(fields)}"
        ) from None


def _fault(fields: list[str]) -> str:
    """Which of five fields croniter refused, in words."""
    if len(fields) != len(FIELD_RANGES):
        return f"five fields ({FIELDS}), e.g. {EXAMPLE}."
    for index, (name, values) in enumerate(FIELD_RANGES):
        alone = ["*"] * 5
        alone[index] = fields[index]
        try:
            croniter(" ".join(alone))
        except (CroniterBadCronError, ValueError, KeyError):
            return f"its {name} field {fields[index]!r} is not valid (values {values})."
    return f"the fields do not go together ({FIELDS}), e.g. {EXAMPLE}."


def validate_timezone(name: str) -> ZoneInfo:
    """The IANA time zone of that name (``ScheduleInvalid`` on ``timezone``)."""
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleInvalid(
            "timezone", f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'."
        ) from None


def next_after(expression: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after``, in UTC. A schedule at set hours fires
    once in the hour that repeats when clocks go back (at its first pass), as cron does."""
    zone = validate_timezone(timezone)
    text = expression.strip()
    iterator = _iterator(text, zone, after)
    fired: datetime = iterator.get_next(datetime).astimezone(UTC)
    while _repeated(fired, zone) and _at_set_hours(text):
        fired = iterator.get_next(datetime).astimezone(UTC)
    return fired


def _repeated(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether the local time of ``instant`` is the second pass of a wall-clock time."""
    local = instant.astimezone(zone)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _at_set_hours(expression: str) -> bool:
    fields = expression.split()
    return len(fields) != len(FIELD_RANGES) or "*" not in fields[1]


def latest_due(expression: str, timezone: str, since: datetime, now: datetime) -> datetime | None:
    """The latest fire time in ``(since, now]`` in UTC, else ``None``: the ticks missed while
    nothing ran coalesce into this one."""
    zone = validate_timezone(timezone)
    text = expression.strip()
    latest: datetime = _iterator(text, zone, now).get_prev(datetime)
    following: datetime = _iterator(text, zone, latest).get_next(datetime)
    if following <= now:  # ``now`` itself is a fire time
        latest = following
    latest = latest.astimezone(UTC)
    return latest if latest > since else None
