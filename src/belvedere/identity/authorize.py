"""A user authorizes a per-user connection once (OAuth2 authorization code with PKCE and the
offline access its backend asks for); the refresh token goes to the vault. The provider, its
endpoints, scopes and parameters come from the backend's identity capability."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.identity import oauth
from belvedere.identity.flows import PendingFlows
from belvedere.identity.service import IdentityService
from belvedere.settings import Settings
from belvedere.warehouses.base import UserAuthorization
from belvedere.warehouses.registry import backend_class

FLOW = "warehouse"
START_PATH = "/auth/warehouse/start"
CALLBACK_PATH = "/auth/warehouse/callback"
#: Where a user goes back to after authorizing, unless the link said where they were.
DEFAULT_NEXT = "/sqllab"


def authorize_url(connection: str, next: str = DEFAULT_NEXT) -> str:
    """The link that starts a user's authorization of ``connection`` and brings them back to
    ``next`` (a path on this site; the start page checks it again)."""
    if not next.startswith("/") or next.startswith("//") or "\\" in next:
        next = DEFAULT_NEXT
    return f"{START_PATH}?{urlencode({'connection': connection, 'next': next})}"


class FlowError(ValueError):
    """A redirect came back wrong (expired, replayed, someone else's, refused); the message
    says what to do."""


@dataclass(frozen=True)
class Authorized:
    connection: str
    next: str


@dataclass(frozen=True)
class Authorization:
    """A connection that queries with each user's grant, and whether this user gave theirs."""

    connection: str
    authorized: bool


class WarehouseAuthorizations:
    """Start and finish users' authorizations of connections that query with each user's
    grant (blocking: reads connections and flows, calls the provider)."""

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

    def _authorization(self, connection: str) -> tuple[str, UserAuthorization]:
        """The provider's name and what the connection's authorization asks it for."""
        backend = backend_class(self._connections.get(connection).kind)
        options = self._connections.options(connection)
        found = self._identity.authorization(connection, backend, options)
        return self._identity.provider(backend), found

    def of(self, user_id: int) -> list[Authorization]:
        """The connections that query with each user's grant, and whether ``user_id`` has
        given theirs (blocking)."""
        mine = set(self._identity.vault.connections_of(user_id))
        found = []
        for view in self._connections.list():
            backend = backend_class(view.kind)
            try:
                options = self._connections.options(view.name)
            except (LookupError, ValueError):
                continue  # removed meanwhile, or options no longer valid: nothing to authorize
            if self._identity.needs_grant(backend, options):
                found.append(Authorization(view.name, view.name in mine))
        return found

    def start(self, actor: Actor, connection: str, next_path: str) -> str:
        """The provider's URL to send the browser to."""
        _, asked = self._authorization(connection)
        verifier = oauth.new_secret()
        state = self._flows.start(
            FLOW,
            {"verifier": verifier, "next": next_path},
            user_id=actor.user_id,
            connection=connection,
        )
        params = dict(asked.params)
        if actor.email:
            params["login_hint"] = actor.email
        session = oauth.client(
            asked.client_id, asked.client_secret, asked.scopes, self.redirect_uri
        )
        with session:
            return oauth.authorization_url(session, asked.authorize_url, state, verifier, **params)

    def finish(self, actor: Actor, state: str, code: str) -> Authorized:
        """Exchange the code for the user's grant and keep it (blocking)."""
        flow = self._flows.take(state, FLOW)
        if flow is None or flow.connection is None:
            raise FlowError("This authorization expired or was not started here. Try again.")
        if flow.user_id != actor.user_id or actor.user_id is None:
            raise FlowError("This authorization was started by another user. Try again.")
        provider, asked = self._authorization(flow.connection)
        session = oauth.client(
            asked.client_id, asked.client_secret, asked.scopes, self.redirect_uri
        )
        try:
            token = oauth.exchange(session, asked.token_url, code, flow.data["verifier"])
        except oauth.ProviderError as exc:
            raise FlowError(f"{provider} {exc}: the authorization did not finish.") from None
        refresh_token = token.get("refresh_token")
        if not refresh_token:
            raise FlowError(f"{provider} granted no offline access; authorize again and accept.")
        self._identity.vault.put(
            actor.user_id,
            flow.connection,
            {"refresh_token": refresh_token, "scope": token.get("scope")},
        )
        return Authorized(flow.connection, flow.data.get("next") or DEFAULT_NEXT)
