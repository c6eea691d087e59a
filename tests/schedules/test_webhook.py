"""Reports to webhooks, posted to a real HTTP receiver on loopback: Slack-compatible JSON, a
signature the receiver can check, failures with the status and the receiver's words; and the
charts' links, which resolve through the app without signing in, then expire."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from belvedere.schedules.delivery import DeliveryFailed, ImageLinks, WebhookSender, verify_signature
from belvedere.services import Services
from tests.support.delivery import WebhookReceiver, chart_png, sample_report, silent_server
from tests.support.images import colours_in, open_png
from tests.support.web.client import MakeClient

SECRET = b"the-schedule-signing-secret"
LINK = "http://belvedere.test/schedule-images/abc.png"


def test_the_report_is_posted_as_slack_blocks_and_signed() -> None:
    with WebhookReceiver().running() as receiver:
        WebhookSender(5, allow_private=True).send(
            f"{receiver.url}/hooks/T1?team=data", SECRET, sample_report(), [LINK]
        )
        [hook] = receiver.wait_for(1)
    assert hook.path == "/hooks/T1?team=data"
    assert hook.headers["content-type"] == "application/json"
    message = json.loads(hook.body)
    assert message["text"] == "Weekly revenue: http://belvedere.test/charts/7"
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "image", "context"]
    header, intro, image, context = message["blocks"]
    assert header["text"]["text"] == "Revenue <weekly>"
    assert intro["text"]["text"] == "Revenue is above 1,000 (1,200)."
    assert image["image_url"] == LINK and image["alt_text"] == "Revenue by region"
    assert "<http://belvedere.test/charts/7|Open in Belvedere>" in context["elements"][0]["text"]

    signature = hook.headers["x-belvedere-signature"]
    assert verify_signature(SECRET, signature, hook.body)
    assert not verify_signature(b"another secret", signature, hook.body)
    assert not verify_signature(SECRET, signature, hook.body + b" ")
    assert not verify_signature(SECRET, signature, hook.body, now=time.time() + 3600)
    assert not verify_signature(SECRET, "v1=deadbeef", hook.body)


def test_without_a_secret_nothing_is_signed_and_tables_are_shown() -> None:
    with WebhookReceiver().running() as receiver:
        WebhookSender(5, allow_private=True).send(
            receiver.url, None, sample_report(chart=False), []
        )
        [hook] = receiver.wait_for(1)
    assert "x-belvedere-signature" not in hook.headers
    blocks = json.loads(hook.body)["blocks"]
    assert not [b for b in blocks if b["type"] == "image"]
    assert any("north\t1200" in b.get("text", {}).get("text", "") for b in blocks)


def test_a_refusing_receiver_fails_with_its_status_and_words() -> None:
    refusing = WebhookReceiver(status=500, body=b"<h1>database is down</h1>")
    with refusing.running() as receiver, pytest.raises(DeliveryFailed) as failed:
        WebhookSender(5, allow_private=True).send(
            receiver.url, SECRET, sample_report(chart=False), []
        )
    assert failed.value.status == 500
    assert "500" in failed.value.message and "database is down" in failed.value.message


def test_a_redirect_to_another_host_is_not_followed() -> None:
    with (
        WebhookReceiver().running() as elsewhere,
        WebhookReceiver(status=307, location=f"{elsewhere.url}/steal").running() as receiver,
    ):
        with pytest.raises(DeliveryFailed, match="not followed"):
            WebhookSender(5, allow_private=True).send(
                receiver.url, SECRET, sample_report(chart=False), []
            )
        assert len(receiver.hooks) == 1
        assert not elsewhere.hooks


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.test/hook", "gopher://x", "http:///nohost"]
)
def test_only_http_urls_are_posted_to(url: str) -> None:
    with pytest.raises(DeliveryFailed, match="http:// or https://"):
        WebhookSender(5, allow_private=True).send(url, None, sample_report(chart=False), [])


def test_a_silent_receiver_fails_within_the_timeout() -> None:
    with silent_server() as port:
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="did not answer within 1 s"):
            WebhookSender(1, allow_private=True).send(
                f"http://127.0.0.1:{port}/", None, sample_report(), []
            )
        assert time.monotonic() - started < 2


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_chart_links_resolve_without_signing_in_then_expire(
    services: Services, app_client: MakeClient, tmp_path: Path
) -> None:
    clock = Clock()
    services.schedule_images = ImageLinks(tmp_path / "images", ttl_seconds=60, clock=clock)
    report = sample_report()
    links = services.schedule_images.urls(report, "http://testserver/")
    with WebhookReceiver().running() as receiver:
        WebhookSender(5, allow_private=True).send(receiver.url, SECRET, report, links)
        [hook] = receiver.wait_for(1)
    [image] = [b for b in json.loads(hook.body)["blocks"] if b["type"] == "image"]
    assert image["image_url"] == links[0]
    path = links[0].removeprefix("http://testserver")
    assert path.startswith("/schedule-images/") and path.endswith(".png")

    anonymous = app_client()  # not signed in: the link's token is its credential
    answer = anonymous.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "private, max-age=60"
    assert answer.content == chart_png()
    assert colours_in(open_png(answer.content))[0] > 1

    assert anonymous.get("/schedule-images/" + "x" * 43 + ".png").status_code == 404
    assert anonymous.get("/schedule-images/not-a-token.png").status_code == 404

    clock.now += 61
    assert anonymous.get(path).status_code == 404


def test_a_swept_store_keeps_live_links_and_drops_expired_ones(tmp_path: Path) -> None:
    clock = Clock()
    links = ImageLinks(tmp_path, ttl_seconds=60, clock=clock)
    old = links.put(b"old png")
    clock.now += 30
    new = links.put(b"new png")
    clock.now += 31  # the first has expired, the second has not
    assert links.sweep() == 1  # the expired link; its PNG is kept a while (grace)
    assert links.get(old) is None
    assert links.get(new) == b"new png"
    assert links.get("A" * 43) is None


@pytest.mark.parametrize(
    ("url", "allow_private", "said"),
    [
        ("http://169.254.169.254/latest/meta-data/", True, "link-local"),
        ("http://[fe80::1]:8080/", True, "link-local"),
        ("http://127.0.0.1:{port}/", False, "BELVEDERE_WEBHOOK_ALLOW_PRIVATE"),
        ("http://localhost:{port}/", False, "private network"),
    ],
)
def test_a_webhook_never_reaches_metadata_servers_nor_private_hosts_unless_allowed(
    url: str, allow_private: bool, said: str
) -> None:
    with WebhookReceiver().running() as receiver:
        port = receiver.url.rsplit(":", 1)[1].rstrip("/")
        with pytest.raises(DeliveryFailed, match=said):
            WebhookSender(2, allow_private=allow_private).send(
                url.format(port=port), None, sample_report(chart=False), []
            )
        assert receiver.hooks == []
