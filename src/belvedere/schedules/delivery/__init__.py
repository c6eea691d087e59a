"""Delivering a schedule's report: by e-mail (SMTP) or to a webhook, charts as PNGs."""

from belvedere.schedules.delivery.email import SmtpSender
from belvedere.schedules.delivery.images import ImageLinks
from belvedere.schedules.delivery.report import DeliveryFailed, Report, Section
from belvedere.schedules.delivery.webhook import WebhookSender, verify_signature

__all__ = [
    "DeliveryFailed",
    "ImageLinks",
    "Report",
    "Section",
    "SmtpSender",
    "WebhookSender",
    "verify_signature",
]
