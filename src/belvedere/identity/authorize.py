"""A user authorizes a warehouse connection once (OAuth2 authorization code with PKCE and
offline access); the refresh token goes to the vault."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.identity.flows import PendingFlows
from belvedere.identity.pkce import challenge, new_verifier
from belvedere.identity.service import IdentityError, IdentityService
from belvedere.settings import Settings

FLOW = "warehouse"
CALLBACK_PATH = "/auth/warehouse/callback"
TOKEN_SECONDS = 15.0


class FlowError(ValueError):
    """A redirect came back wrong (expired, replayed, someone else's, refused); the message
    says what to do."""


@dataclass(frozen=True)
class Authorized:
    connection: str
    next: str


class WarehouseAuthorizations:
    """Start and finish users' authorizations of ``user_oauth`` connections."""

    def __init__(
        self,
        settings: Settings,
        connections: ConnectionService,
        identity: IdentityService,
        flows: PendingFlows,
    ) -> None:
        self._settings = settings
        self._connections = connections
        self._identity = identity
        self._flows = flows

    @property
    def redirect_uri(self) -> str:
        return self._settings.public_url.rstrip("/") + CALLBACK_PATH

    def start(self, actor: Actor, connection: str, next_path: str) -> str:
        """The provider's URL to send the browser to."""
        from belvedere.warehouses.bigquery.identity import USER_SCOPES

        options = self._connections.options(connection)
        if getattr(options, "identity", None) != "user_oauth":
            raise IdentityError(f"Connection {connection} does not query as each user.")
        client_id, _ = self._identity.oauth_client(options)
        verifier = new_verifier()
        state = self._flows.start(
            FLOW,
            {"verifier": verifier, "next": next_path},
            user_id=actor.user_id,
            connection=connection,
        )
        query = {
            "client_id": client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(USER_SCOPES),
            "state": state,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        }
        if actor.email:
            query["login_hint"] = actor.email
        return f"{self._settings.google_oauth_authorize_url}?{urlencode(query)}"

    def finish(self, actor: Actor, state: str, code: str) -> Authorized:
        """Exchange the code for the user's grant and keep it (blocking)."""
        flow = self._flows.take(state, FLOW)
        if flow is None or flow.connection is None:
            raise FlowError("This authorization expired or was not started here. Try again.")
        if flow.user_id != actor.user_id or actor.user_id is None:
            raise FlowError("This authorization was started by another user. Try again.")
        client_id, secret = self._identity.oauth_client(self._connections.options(flow.connection))
        try:
            answer = requests.post(
                self._settings.google_oauth_token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "client_id": client_id,
                    "client_secret": secret or "",
                    "code_verifier": flow.data["verifier"],
                },
                timeout=TOKEN_SECONDS,
            )
        except requests.RequestException as exc:
            raise FlowError(
                f"Google could not be reached to finish the authorization: {exc}"
            ) from None
        body = (
            answer.json()
            if answer.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if answer.status_code != 200:
            reason = (
                body.get("error_description") or body.get("error") or f"HTTP {answer.status_code}"
            )
            raise FlowError(f"Google refused the authorization: {reason}.")
        refresh_token = body.get("refresh_token")
        if not refresh_token:
            raise FlowError("Google granted no offline access; authorize again and accept.")
        self._identity.vault.put(
            actor.user_id,
            flow.connection,
            {"refresh_token": refresh_token, "scope": body.get("scope")},
        )
        return Authorized(flow.connection, flow.data.get("next") or "/sqllab")
