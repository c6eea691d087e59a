"""Per-user identity around the BigQuery emulator, and the sign-in provider.

BigQuery learns who calls from the OAuth2 access token; the emulator learns it from its own
header (``X-Bqemu-Caller``, ``X-Bqemu-Groups``; gRPC metadata ``x-bqemu-caller``,
``x-bqemu-groups``) and enforces ROW ACCESS POLICIES for that caller. The proxies here turn the
first into the second, asking the Google stand-in (:mod:`tests.support.google`) whose token it is
(:mod:`.callers`): :func:`identity_rest_proxy` (:mod:`.rest_proxy`) and
:class:`GrpcIdentityProxy` (:mod:`.grpc_proxy`). Callers' own ``x-bqemu-*`` headers are dropped,
never forwarded. :mod:`.clients` makes raw clients that send a token; :mod:`.oidc` runs the
OpenID Connect provider users sign in with.
"""

from tests.support.identity.callers import BIGQUERY_SCOPES, CALLER, GROUPS, Verdict, judge
from tests.support.identity.clients import bearer_channel, token_rest_client, token_storage_client
from tests.support.identity.grpc_proxy import GrpcCall, GrpcIdentityProxy
from tests.support.identity.rest_proxy import caller_of, identity_headers, identity_rest_proxy

__all__ = [
    "BIGQUERY_SCOPES",
    "CALLER",
    "GROUPS",
    "GrpcCall",
    "GrpcIdentityProxy",
    "Verdict",
    "bearer_channel",
    "caller_of",
    "identity_headers",
    "identity_rest_proxy",
    "judge",
    "token_rest_client",
    "token_storage_client",
]
