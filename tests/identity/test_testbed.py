"""The per-user identity test bed itself, with the raw SDK and plain HTTP (not Belvedere): the
Google stand-in's OAuth2 flows (PKCE enforced), refresh and revocation, IAM generateAccessToken,
the identity proxies in front of the emulator (each caller sees its own rows of ``secure.sales``
over REST and over the Storage Read API), and the OIDC sign-in provider."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import grpc
import httpx
import pytest
from google.api_core import exceptions
from google.auth import exceptions as auth_exceptions
from google.auth import impersonated_credentials
from google.auth import jwt as google_jwt
from google.auth.transport.requests import Request as AuthRequest
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import types
from google.oauth2 import id_token, service_account
from google.oauth2.credentials import Credentials as UserCredentials
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet

from tests.support.bigquery.emulator import Emulator
from tests.support.bigquery.secure import (
    ALICE,
    BI_ADMINS,
    BOB,
    BQ_ALICE,
    BQ_BOB,
    CAROL,
    SecureSales,
    seed_secure_sales,
)
from tests.support.faults import HttpProxy
from tests.support.google import (
    BIGQUERY_SCOPE,
    CLIENT_ID,
    CLIENT_SECRET,
    CLOUD_PLATFORM_SCOPE,
    GoogleService,
    pkce_pair,
    service_account_key,
)
from tests.support.identity import (
    GrpcIdentityProxy,
    caller_of,
    token_rest_client,
    token_storage_client,
)
from tests.support.identity.oidc import OidcProvider

REDIRECT = "http://127.0.0.1:9/oauth/callback"  # never contacted: the test reads the redirect
SCOPES = f"openid email {BIGQUERY_SCOPE}"


def auth_params(challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v != ""}


def redirected(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(google: GoogleService, code: str, verifier: str) -> httpx.Response:
    return httpx.post(
        google.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )


def authorize(google: GoogleService, email: str, **overrides: str) -> dict[str, Any]:
    """The whole authorization-code flow for ``email``; the token endpoint's answer."""
    verifier, challenge = pkce_pair()
    url = f"{google.auth_uri}?{urlencode(auth_params(challenge, **overrides))}"
    code = redirected(google.consent(url, email))["code"]
    answer = exchange(google, code, verifier)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# --- the OAuth2 authorization-code flow ----------------------------------------------------


def test_authorization_code_flow_with_pkce(google: GoogleService) -> None:
    google.next_user = "alice@example.com"
    verifier, challenge = pkce_pair()
    url = f"{google.auth_uri}?{urlencode(auth_params(challenge))}"
    back = redirected(google.consent(url))
    assert back["state"] == "st-123"

    wrong = exchange(google, back["code"], pkce_pair()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert wrong.json()["error_description"] == "Invalid code verifier."
    again = exchange(google, back["code"], verifier)  # codes are one-time, whatever happened
    assert again.status_code == 400

    back = redirected(google.consent(url))  # the same challenge, a new code
    answer = exchange(google, back["code"], verifier)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert {"access_token", "refresh_token", "id_token", "expires_in", "scope"} <= set(tokens)
    assert google.principal_of(tokens["access_token"]) == ALICE
    assert exchange(google, back["code"], verifier).json()["error"] == "invalid_grant"

    request = AuthRequest()
    claims = id_token.verify_token(
        tokens["id_token"], request, audience=CLIENT_ID, certs_url=google.pem_certs_uri
    )
    keys = KeySet.import_key_set(httpx.get(google.jwks_uri).json())  # JWKS, as an OIDC client
    assert joserfc_jwt.decode(tokens["id_token"], keys).claims["sub"] == claims["sub"]
    assert (claims["email"], claims["iss"]) == ("alice@example.com", google.issuer)
    [first, *_] = google.requests_to("authorize")
    assert first.params["code_challenge"] == challenge  # everything is recorded


def test_login_hint_online_access_and_cancel(google: GoogleService) -> None:
    online = authorize(google, "nobody@example.com", login_hint="bob@example.com", access_type="")
    assert google.principal_of(online["access_token"]) == BOB
    assert "refresh_token" not in online  # only access_type=offline gets one

    google.deny_next = True
    _, challenge = pkce_pair()
    url = f"{google.auth_uri}?{urlencode(auth_params(challenge))}"
    assert redirected(google.consent(url, "alice@example.com")) == {
        "error": "access_denied",
        "state": "st-123",
    }


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, 400, "redirect_uri_mismatch"),
        ({"response_type": "token"}, 400, "unsupported_response_type"),
        ({"scope": ""}, 400, "invalid_request"),
        ({"scope": "https://example.com/not-a-scope"}, 400, "invalid_scope"),
        ({"state": ""}, 400, "invalid_request"),
        ({"code_challenge": ""}, 400, "invalid_request"),
        ({"code_challenge_method": "plain"}, 400, "invalid_request"),
    ],
)
def test_authorization_requests_are_checked(
    google: GoogleService, overrides: dict[str, str], status: int, error: str
) -> None:
    google.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=[REDIRECT])
    google.next_user = "alice@example.com"
    _, challenge = pkce_pair()
    response = httpx.get(f"{google.auth_uri}?{urlencode(auth_params(challenge, **overrides))}")
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_wrong_client_secret_is_refused(google: GoogleService) -> None:
    google.next_user = "alice@example.com"
    verifier, challenge = pkce_pair()
    code = redirected(google.consent(f"{google.auth_uri}?{urlencode(auth_params(challenge))}"))[
        "code"
    ]
    response = httpx.post(
        google.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(CLIENT_ID, "not-the-secret"),
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


# --- refresh, revocation, expiry --------------------------------------------------------------


def user_credentials(google: GoogleService, refresh_token: str) -> UserCredentials:
    return UserCredentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=refresh_token,
        token_uri=google.token_uri,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def test_refresh_then_revocation(google: GoogleService) -> None:
    first = authorize(google, "alice@example.com")
    credentials = user_credentials(google, first["refresh_token"])
    request = AuthRequest()
    credentials.refresh(request)  # google-auth's own refresh code, against the stand-in
    assert credentials.token != first["access_token"]
    assert google.principal_of(credentials.token) == ALICE
    assert google.principal_of(first["access_token"]) == ALICE  # still valid, as at Google
    [grant] = google.refresh_tokens()
    assert grant.uses == 1

    google.revoke(first["refresh_token"])
    with pytest.raises(auth_exceptions.RefreshError, match="invalid_grant"):
        credentials.refresh(request)
    assert google.principal_of(credentials.token) is None  # its access tokens went with it
    refused = google.requests_to("token")[-1]
    assert refused.response == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_tokens_expire(google: GoogleService) -> None:
    google.access_token_seconds = 120
    answer = authorize(google, "bob@example.com")
    assert 118 <= answer["expires_in"] <= 120
    info = google.token_info(answer["access_token"])
    assert info is not None and 118 <= info.expires_at - time.time() <= 120
    google.expire(answer["access_token"])
    assert google.principal_of(answer["access_token"]) is None
    fresh = user_credentials(google, answer["refresh_token"])
    fresh.refresh(AuthRequest())
    assert google.principal_of(fresh.token) == BOB

    given = user_credentials(google, google.issue_refresh_token("carol@example.com"))
    given.refresh(AuthRequest())  # a grant made without the flow
    assert google.principal_of(given.token) == CAROL


def test_injected_token_endpoint_failure(google: GoogleService) -> None:
    google.fail("token", 503)
    google.next_user = "alice@example.com"
    verifier, challenge = pkce_pair()
    code = redirected(google.consent(f"{google.auth_uri}?{urlencode(auth_params(challenge))}"))[
        "code"
    ]
    assert exchange(google, code, verifier).status_code == 503
    assert [r.status for r in google.requests_to("token")] == [503]


# --- IAM Credentials: generateAccessToken ----------------------------------------------------


@pytest.fixture
def belvedere_sa(google: GoogleService) -> service_account.Credentials:
    """Belvedere's own credentials: a service-account key whose tokens come from the stand-in."""
    info = json.loads(service_account_key(google.token_uri))
    credentials: service_account.Credentials = (
        service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM_SCOPE])
    )
    return credentials


def impersonate(
    google: GoogleService, source: Any, target: str
) -> impersonated_credentials.Credentials:
    email = target.removeprefix("serviceAccount:")
    return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
        source_credentials=source,
        target_principal=email,
        target_scopes=[BIGQUERY_SCOPE],
        lifetime=600,
        iam_endpoint_override=google.generate_access_token_url(email),
    )


def test_generate_access_token(
    google: GoogleService, belvedere_sa: service_account.Credentials
) -> None:
    request = AuthRequest()
    alice = impersonate(google, belvedere_sa, BQ_ALICE)
    alice.refresh(request)  # google-auth's impersonation code, against the stand-in
    assert google.principal_of(alice.token) == BQ_ALICE
    [done] = google.impersonations
    assert done.caller == "serviceAccount:belvedere-test@test-project.iam.gserviceaccount.com"
    assert (done.target, done.scopes, done.status) == (
        BQ_ALICE.removeprefix("serviceAccount:"),
        (BIGQUERY_SCOPE,),
        200,
    )
    info = google.token_info(alice.token)
    assert info is not None and info.kind == "impersonated"

    google.deny_impersonation("bq-bob@test-project.iam.gserviceaccount.com")
    with pytest.raises(auth_exceptions.RefreshError, match=r"iam\.serviceAccounts\.getAccessToken"):
        impersonate(google, belvedere_sa, BQ_BOB).refresh(request)
    assert google.impersonations[-1].status == 403

    unknown = httpx.post(
        google.generate_access_token_url("bq-alice@test-project.iam.gserviceaccount.com"),
        json={"scope": [BIGQUERY_SCOPE]},
        headers={"authorization": "Bearer not-a-token"},
    )
    assert (unknown.status_code, unknown.json()["error"]["status"]) == (401, "UNAUTHENTICATED")


# --- the identity proxies in front of the emulator ------------------------------------------


@dataclass
class Through:
    """Clients of the emulator through the identity proxies, as one caller."""

    rest: bigquery.Client
    token: str
    storage_target: str

    def query_rows(self, sales: SecureSales) -> list[tuple[str, int]]:
        rows = self.rest.query(f"SELECT region, amount FROM `{sales.table_id}`").result()
        return sorted((row["region"], row["amount"]) for row in rows)

    def storage_rows(self, sales: SecureSales) -> list[tuple[str, int]]:
        storage = token_storage_client(self.storage_target, self.token)
        try:
            table = self.rest.list_rows(sales.table_id).to_arrow(bqstorage_client=storage)
        finally:
            storage.transport.close()
        return sorted(zip(table["region"].to_pylist(), table["amount"].to_pylist(), strict=True))


@pytest.fixture
def as_caller(
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    bq_emulator: Emulator,
) -> Iterator[Any]:
    made: list[bigquery.Client] = []

    def make(token: str) -> Through:
        client = token_rest_client(identity_rest_proxy.url, token, bq_emulator.project)
        made.append(client)
        return Through(client, token, identity_grpc_proxy.target)

    yield make
    for client in made:
        client.close()


def test_alice_and_bob_see_their_own_rows(
    google: GoogleService,
    secure_sales: SecureSales,
    as_caller: Any,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
) -> None:
    alice = as_caller(authorize(google, "alice@example.com")["access_token"])
    bob = as_caller(authorize(google, "bob@example.com")["access_token"])
    north, south = secure_sales.visible_to(ALICE), secure_sales.visible_to(BOB)
    assert {r for r, _ in north} == {"north"} and {r for r, _ in south} == {"south"}

    assert alice.query_rows(secure_sales) == north
    assert bob.query_rows(secure_sales) == south
    assert alice.storage_rows(secure_sales) == north
    assert bob.storage_rows(secure_sales) == south

    assert {caller_of(r) for r in identity_rest_proxy.requests} == {ALICE, BOB}
    calls = identity_grpc_proxy.calls
    assert [(c.name, c.principal, c.code) for c in calls] == [
        ("CreateReadSession", ALICE, "OK"),
        ("ReadRows", ALICE, "OK"),
        ("CreateReadSession", BOB, "OK"),
        ("ReadRows", BOB, "OK"),
    ]


def test_impersonated_and_group_callers(
    google: GoogleService,
    belvedere_sa: service_account.Credentials,
    secure_sales: SecureSales,
    as_caller: Any,
) -> None:
    request = AuthRequest()
    bq_bob = impersonate(google, belvedere_sa, BQ_BOB)
    bq_bob.refresh(request)
    assert as_caller(bq_bob.token).storage_rows(secure_sales) == secure_sales.visible_to(BQ_BOB)

    carol = as_caller(google.issue_token(CAROL))
    assert carol.query_rows(secure_sales) == []  # no policy grants her anything
    google.set_groups(CAROL, [BI_ADMINS])  # sent as X-Bqemu-Groups / x-bqemu-groups
    everything = sorted(secure_sales.rows)
    assert carol.query_rows(secure_sales) == everything
    assert carol.storage_rows(secure_sales) == everything


def test_tokens_the_proxies_refuse(
    google: GoogleService,
    secure_sales: SecureSales,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    bq_emulator: Emulator,
) -> None:
    url = f"{identity_rest_proxy.url}/bigquery/v2/projects/{bq_emulator.project}/queries"
    query = {"query": f"SELECT region FROM `{secure_sales.table_id}`", "useLegacySql": False}
    expired = google.issue_token(ALICE)
    google.expire(expired)
    unscoped = google.issue_token(ALICE, scopes=("openid", "email"))
    cases = {
        None: (401, "required"),
        "Bearer not-a-token": (401, "authError"),
        f"Bearer {expired}": (401, "authError"),
        f"Bearer {unscoped}": (403, "insufficientPermissions"),
    }
    for authorization, (status, reason) in cases.items():
        headers = {"authorization": authorization} if authorization else {}
        response = httpx.post(url, json=query, headers=headers)
        assert response.status_code == status, authorization
        error = response.json()["error"]
        assert (error["code"], error["errors"][0]["reason"]) == (status, reason)
    assert all(r.sent_headers is None for r in identity_rest_proxy.requests)  # none forwarded

    # A caller header of the client's own is dropped, not believed.
    alice = google.issue_token(ALICE)
    spoofed = httpx.post(
        url,
        json=query,
        headers={"authorization": f"Bearer {alice}", "x-bqemu-caller": BOB},
    )
    assert {row["f"][0]["v"] for row in spoofed.json()["rows"]} == {"north"}

    storage = token_storage_client(identity_grpc_proxy.target, "not-a-token")
    try:
        with pytest.raises(exceptions.Unauthenticated):
            storage.create_read_session(
                parent=f"projects/{bq_emulator.project}",
                read_session=types.ReadSession(
                    table=secure_sales.storage_table, data_format=types.DataFormat.ARROW
                ),
                max_stream_count=1,
                retry=None,
                timeout=10,
            )
    finally:
        storage.transport.close()
    [refused] = identity_grpc_proxy.calls
    assert (refused.principal, refused.code) == (None, "UNAUTHENTICATED")

    bare = grpc.insecure_channel(identity_grpc_proxy.target)  # no metadata at all
    try:
        call = bare.unary_unary("/google.cloud.bigquery.storage.v1.BigQueryRead/CreateReadSession")
        with pytest.raises(grpc.RpcError) as caught:
            call(b"", timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        bare.close()


def test_grpc_proxy_forwards_upstream_errors(
    google: GoogleService, identity_grpc_proxy: GrpcIdentityProxy, bq_emulator: Emulator
) -> None:
    storage = token_storage_client(identity_grpc_proxy.target, google.issue_token(ALICE))
    try:
        with pytest.raises(exceptions.NotFound, match="nosuch"):
            storage.create_read_session(
                parent=f"projects/{bq_emulator.project}",
                read_session=types.ReadSession(
                    table=f"projects/{bq_emulator.project}/datasets/shop/tables/nosuch",
                    data_format=types.DataFormat.ARROW,
                ),
                max_stream_count=1,
                retry=None,
                timeout=10,
            )
    finally:
        storage.transport.close()
    [call] = identity_grpc_proxy.calls
    assert (call.principal, call.code) == (ALICE, "NOT_FOUND")


# --- the row access policies themselves -------------------------------------------------------


def test_seeding_is_idempotent_despite_the_409(
    bq_emulator: Emulator, secure_sales: SecureSales
) -> None:
    started = time.monotonic()
    assert seed_secure_sales(bq_emulator) == secure_sales
    assert time.monotonic() - started < 2
    client = bq_emulator.client()
    try:
        grantees, predicate = secure_sales.policies["north_readers"]
        with pytest.raises(exceptions.Conflict):  # the emulator's quirk: OR REPLACE does not
            client.query(
                f"CREATE OR REPLACE ROW ACCESS POLICY north_readers ON `{secure_sales.table_id}` "
                f'GRANT TO ("{grantees[0]}") FILTER USING ({predicate})'
            ).result()
        # Another quirk: tabledata.list ignores row access policies (queries and the Storage
        # Read API honour them), so a test must not take a REST listing as a caller's view.
        listed = client.list_rows(secure_sales.table_id)
        assert len(list(listed)) == len(secure_sales.rows)
    finally:
        client.close()


# --- the OIDC sign-in provider ---------------------------------------------------------------


def test_oidc_provider_signs_users_in(oidc_provider: OidcProvider) -> None:
    discovery = httpx.get(oidc_provider.discovery_url).json()
    assert discovery["issuer"] == oidc_provider.issuer
    assert discovery["authorization_endpoint"] == oidc_provider.authorization_endpoint
    assert discovery["token_endpoint"] == oidc_provider.token_endpoint
    assert {"jwks_uri", "userinfo_endpoint"} <= set(discovery)

    redirect = "http://127.0.0.1:9/auth/oidc/callback"
    params = {
        "client_id": "belvedere",
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "s-1",
        "nonce": "n-1",
    }
    url = f"{discovery['authorization_endpoint']}?{urlencode(params)}"
    back = parse_qs(urlsplit(oidc_provider.consent(url, "carol")).query)
    assert back["state"] == ["s-1"]
    tokens = httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": redirect,
            "client_id": "belvedere",
            "client_secret": "anything",
        },
    ).json()
    claims = google_jwt.decode(tokens["id_token"], verify=False)
    assert claims["iss"] == oidc_provider.issuer
    assert (claims["sub"], claims["email"], claims["groups"]) == (
        "carol",
        "carol@example.com",
        ["bi-admins"],
    )
    assert claims["nonce"] == "n-1"
