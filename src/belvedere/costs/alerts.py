"""Budget alerts: every server sweeps the budgets every ``budget_alert_seconds``; a budget at
80% or 100% of its current period is told once (a notice claimed in the metadata store:
whichever server claims it tells it), in the app (:meth:`BudgetAlerts.current`) and by e-mail
to the person (a group's: its members) and every admin with an address, when SMTP is set."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from belvedere.auth.account import Account
from belvedere.auth.roles import Role
from belvedere.costs.periods import Period, describe_reset, window
from belvedere.costs.policy import CostPolicy
from belvedere.costs.standing import Standing, Standings
from belvedere.schedules.delivery.email import SmtpSender
from belvedere.schedules.delivery.report import DeliveryFailed, Report
from belvedere.store.budget_notices import BudgetNotices, Notice
from belvedere.store.models import utcnow
from belvedere.store.users import Users
from belvedere.units import human_bytes

log = logging.getLogger(__name__)

#: Percent of a budget at which people are told.
LEVELS = (80, 100)
#: Notices this recent may be of a current period.
RECENT = timedelta(days=32)


@dataclass(frozen=True)
class Told:
    """A notice as one person reads it."""

    notice: Notice
    who: str
    """``alice`` or ``group analysts``."""
    message: str
    resets_at: datetime


def notice_of(standing: Standing, level: int) -> Notice:
    """The notice of ``standing`` reaching ``level`` percent."""
    _, scope, subject, period = standing.key
    return Notice(
        connection=standing.connection,
        scope=scope,
        subject=subject,
        period=period,
        period_start=standing.budget.window.label,
        level=level,
        spent=standing.budget.spent,
        budget=standing.budget.limit,
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def message(notice: Notice, whose: str, resets: str) -> str:
    """``Alice's daily budget of 1.0 TB on bq is at 80% (819.2 GB billed); it resets at
    00:00 on 8 Dec 2026, Europe/Paris.``"""
    period = Period(notice.period).adjective
    at = "used up" if notice.level >= 100 else f"at {notice.level}%"
    return _capitalized(
        f"{whose} {period} budget of {human_bytes(notice.budget)} on {notice.connection} is "
        f"{at} ({human_bytes(notice.spent)} billed); it resets at {resets}."
    )


def subject_line(notice: Notice, whose: str) -> str:
    """``Budget alert: your daily budget on bq is at 80%``."""
    period = Period(notice.period).adjective
    return f"Budget alert: {whose} {period} budget on {notice.connection} is at {notice.level}%"


class BudgetAlerts:
    """Finds budgets at 80% and 100%, tells each once, and reads the current notices."""

    def __init__(
        self,
        standings: Standings,
        policy: CostPolicy,
        notices: BudgetNotices,
        users: Users,
        smtp: SmtpSender | None,
        link: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``link``: where the e-mails point (the Spend page)."""
        self._standings = standings
        self._policy = policy
        self._notices = notices
        self._users = users
        self._smtp = smtp
        self._link = link
        self._clock = clock

    def sweep(self) -> int:
        """Claim the notices of budgets that reached a level and tell them; how many budgets
        were told (blocking)."""
        told = 0
        for standing in self._standings.everyone(self._clock()):
            reached = [level for level in LEVELS if standing.budget.percent >= level]
            new = [level for level in reached if self._notices.claim(notice_of(standing, level))]
            if new:  # both at once (a big query): the higher is told
                told += 1
                self._mail(notice_of(standing, max(new)), standing)
        return told

    def _mail(self, notice: Notice, standing: Standing) -> None:
        """E-mail the notice to whose budget it is and to the admins (one message each)."""
        if self._smtp is None:
            return
        users = [u for u in self._users.list() if u.is_active and u.email]
        if standing.user_id is not None:
            owners = [u for u in users if u.id == standing.user_id]
        else:
            owners = [u for u in users if standing.budget.subject in (u.groups or ())]
        admins = [u for u in users if u.role == Role.ADMIN.value and u not in owners]
        resets = describe_reset(standing.budget.window.resets_at, standing.budget.zone)
        for user in [*owners, *admins]:
            whose = self._whose(notice, standing.who, user.id)
            text = message(notice, whose, resets)
            subject = subject_line(notice, whose)
            report = Report(
                subject=subject, title=subject, link=self._link, sections=[], intro=text
            )
            try:
                assert user.email is not None
                self._smtp.send([user.email], report)
            except DeliveryFailed as exc:
                log.warning("budget alert to %s not sent: %s", user.email, exc.message)

    @staticmethod
    def _whose(notice: Notice, who: str, viewer_id: int | None) -> str:
        if notice.scope == "group":
            return f"{who}'"
        return "your" if str(viewer_id) == notice.subject else f"{who}'s"

    def prune(self, keep_days: int) -> int:
        """Forget notices older than ``keep_days`` (the audit retention); how many went."""
        return self._notices.purge_before(self._clock() - timedelta(days=max(keep_days, 32)))

    def current(self, viewer: Account, everyone: bool) -> list[Told]:
        """The notices of current periods that ``viewer`` may read: their own and their
        groups' (``everyone``: all), newest first (blocking)."""
        now = self._clock()
        readable = [
            notice
            for notice in self._notices.since(now - RECENT)
            if everyone
            or (notice.scope == "user" and notice.subject == str(viewer.id))
            or (notice.scope == "group" and notice.subject in (viewer.groups or ()))
        ]
        names = self._users.names({int(n.subject) for n in readable if n.scope == "user"})
        found = []
        for notice in readable:
            if notice.scope == "group":
                zone, who = self._policy.server_zone, f"group {notice.subject}"
            else:
                user_id = int(notice.subject)
                zone, who = self._policy.zone(user_id), names.get(user_id, f"#{user_id}")
            day = notice.period == Period.DAY.value
            first = date.fromisoformat(notice.period_start + ("" if day else "-01"))
            span = window(Period(notice.period), zone, datetime.combine(first, time(12), zone))
            if span.label != window(Period(notice.period), zone, now).label:
                continue  # a past period's
            whose = self._whose(notice, who, viewer.id)
            text = message(notice, whose, describe_reset(span.resets_at, zone))
            found.append(Told(notice, who, text, span.resets_at))
        return found
