"""Session and CSRF cookies: names, signing and attributes."""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "belvedere_session"
CSRF_COOKIE = "belvedere_csrf"
CSRF_HEADER = "x-csrf-token"


class SessionCookies:
    """Signs session ids into cookie values and checks them back."""

    def __init__(self, secret_key: bytes, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="belvedere-session")
        self.max_age_seconds = max_age_seconds

    def sign(self, session_id: str) -> str:
        """Cookie value for a session id."""
        return self._serializer.dumps(session_id)

    def unsign(self, value: str) -> str | None:
        """Session id from a cookie value, or ``None`` if forged or too old."""
        try:
            session_id: str = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:
            return None
        return session_id


def new_csrf_token() -> str:
    """A fresh CSRF token (double-submit: cookie and header must match)."""
    return secrets.token_urlsafe(24)


def csrf_matches(cookie: str | None, header: str | None) -> bool:
    """Whether the header repeats the cookie (constant-time)."""
    return bool(cookie) and bool(header) and hmac.compare_digest(str(cookie), str(header))
