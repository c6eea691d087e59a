"""Reports by e-mail, to a real SMTP server on loopback (aiosmtpd): what arrives (the chart as
a PNG a person sees, the table, the CSV, the link), and how a refusing, silent or untrusted
server fails: in its own words, within the timeout, never with the password."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from belvedere.schedules.delivery import DeliveryFailed, SmtpSender
from belvedere.schedules.delivery.report import MAX_TABLE_ROWS
from belvedere.settings import Settings
from tests.support.delivery import (
    chart_png,
    mail_server,
    sample_report,
    silent_server,
    tls_files,
)
from tests.support.images import colours_in, open_png

SENDER = "belvedere@example.test"
ANN = "ann@example.test"


def parts(message: EmailMessage, content_type: str) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() == content_type]  # type: ignore[misc]


def test_the_report_arrives_with_its_chart_table_data_and_link() -> None:
    report = sample_report()
    with mail_server() as (port, received):
        SmtpSender(f"smtp://127.0.0.1:{port}", SENDER, 5).send([ANN], report)
    [mail] = received
    assert mail.recipients == [ANN]
    message = mail.message
    assert message["Subject"] == "Weekly revenue"
    assert message["To"] == ANN
    assert message["From"] == SENDER

    [html] = parts(message, "text/html")
    body = html.get_content()
    assert "Revenue &lt;weekly&gt;" in body  # the title, escaped
    assert "Revenue is above 1,000 (1,200)." in body
    assert "<td" in body and ">north<" in body and ">1200<" in body
    assert 'href="http://belvedere.test/charts/7"' in body

    [image] = parts(message, "image/png")
    assert f"cid:{image['Content-ID'].strip('<>')}" in body
    picture = open_png(image.get_content())
    expected = open_png(chart_png())
    assert picture.size == expected.size
    colours, colourful = colours_in(picture)
    assert colours > 1 and colourful > 0  # a drawn chart, not a blank canvas

    [attachment] = [p for p in message.iter_attachments() if p.get_filename()]
    assert attachment.get_filename() == "revenue-by-region.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == report.sections[0].csv

    [plain] = parts(message, "text/plain")
    assert "http://belvedere.test/charts/7" in plain.get_content()


def test_a_long_table_shows_its_first_rows_and_says_so() -> None:
    rows = [[f"region {i}", i] for i in range(120)]
    message = SmtpSender.message([ANN], SENDER, sample_report(rows=rows, chart=False))
    [html] = parts(message, "text/html")
    body = html.get_content()
    assert body.count("<tr>") == MAX_TABLE_ROWS + 1  # with the header
    assert "region 49" in body and "region 50" not in body
    assert "Showing 50 of 120 rows" in body
    [attachment] = list(message.iter_attachments())
    csv = attachment.get_payload(decode=True)
    assert csv.count(b"\n") == 121  # every row, and the header
    assert not parts(message, "image/png")


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_a_refusing_server_fails_in_its_own_words(stage: str) -> None:
    with mail_server(refuse_at=stage) as (port, received):
        sender = SmtpSender(f"smtp://127.0.0.1:{port}", SENDER, 5)
        with pytest.raises(DeliveryFailed) as failed:
            sender.send([ANN], sample_report(chart=False))
    assert "550" in failed.value.message
    assert "mailbox unavailable" in failed.value.message
    assert not received


def test_a_silent_server_fails_within_the_timeout() -> None:
    with silent_server() as port:
        sender = SmtpSender(f"smtp://127.0.0.1:{port}", SENDER, 1)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="did not answer within 1 s"):
            sender.send([ANN], sample_report(chart=False))
        assert time.monotonic() - started < 2


def test_an_unreachable_server_fails_with_where_it_was() -> None:
    with silent_server() as port:
        pass  # closed: nothing listens there now
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", SENDER, 2)
    with pytest.raises(DeliveryFailed, match=f"127.0.0.1:{port}"):
        sender.send([ANN], sample_report(chart=False))


def test_a_subject_cannot_add_headers() -> None:
    report = sample_report(subject="Revenue\r\nBcc: eve@example.test\r\n\r\nforged body")
    with mail_server() as (port, received):
        SmtpSender(f"smtp://127.0.0.1:{port}", f"Belvedere <{SENDER}>", 5).send([ANN], report)
    [mail] = received
    assert mail.recipients == [ANN]
    assert mail.message["Bcc"] is None
    assert mail.message["From"] == f"Belvedere <{SENDER}>"
    assert mail.message["Subject"] == "Revenue Bcc: eve@example.test forged body"


def test_credentials_sign_in_and_a_wrong_password_is_never_told() -> None:
    with mail_server(password="right-horse") as (port, received):
        SmtpSender(f"smtp://mailer:right-horse@127.0.0.1:{port}", SENDER, 5).send(
            [ANN], sample_report(chart=False)
        )
        assert len(received) == 1
        wrong = SmtpSender(f"smtp://mailer:wrong%40horse@127.0.0.1:{port}", SENDER, 5)
        with pytest.raises(DeliveryFailed) as failed:
            wrong.send([ANN], sample_report(chart=False))
    assert "535" in failed.value.message
    assert "wrong" not in str(failed.value) and "horse" not in repr(wrong)


def test_starttls_and_implicit_tls_with_a_trusted_certificate(tmp_path: Path) -> None:
    cert, key = tls_files(tmp_path)
    with mail_server(tls=(cert, key), password="right-horse") as (port, received):
        url = f"smtp+starttls://mailer:right-horse@127.0.0.1:{port}"
        SmtpSender(url, SENDER, 5, ca_file=cert).send([ANN], sample_report(chart=False))
        SmtpSender(f"smtp://127.0.0.1:{port}", SENDER, 5, ca_file=cert).send(  # when offered
            [ANN], sample_report(chart=False)
        )
        assert len(received) == 2
        with pytest.raises(DeliveryFailed, match="certificate"):
            SmtpSender(url, SENDER, 5).send([ANN], sample_report(chart=False))
    with mail_server(tls=(cert, key), implicit_tls=True) as (port, received):
        SmtpSender(f"smtps://127.0.0.1:{port}", SENDER, 5, ca_file=cert).send(
            [ANN], sample_report(chart=False)
        )
        assert len(received) == 1


def test_starttls_required_but_not_offered_fails() -> None:
    with mail_server() as (port, received):
        sender = SmtpSender(f"smtp+starttls://127.0.0.1:{port}", SENDER, 5)
        with pytest.raises(DeliveryFailed, match="STARTTLS"):
            sender.send([ANN], sample_report(chart=False))
    assert not received


def test_a_url_that_is_not_smtp_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValueError, match="smtp://") as refused:
        SmtpSender("https://user:s3cret@mail.example.test", SENDER, 5)
    assert "s3cret" not in str(refused.value)


def test_the_smtp_url_is_a_secret_nothing_shows() -> None:
    settings = Settings(smtp_url="smtp://mailer:s3cret-pw@mail.example.test:587")
    assert "s3cret-pw" not in repr(settings) + str(settings)
    sender = SmtpSender.from_settings(settings)
    assert sender is not None and "s3cret-pw" not in repr(sender)
    assert (sender.host, sender.port, sender.sender) == (
        "mail.example.test",
        587,
        "belvedere@localhost",
    )
    assert SmtpSender.from_settings(Settings()) is None
