"""Options of a BigQuery connection, and how they become credentials."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

Auth = Literal["application_default", "service_account_key", "none"]
Identity = Literal["service_account", "user_oauth", "impersonation"]


class BigQueryOptions(BaseModel):
    """Options of a BigQuery connection."""

    project: str = Field(
        min_length=1, description="Project that holds the data (datasets are listed from it)."
    )
    billing_project: str | None = Field(
        default=None, description="Project that runs and pays for jobs. Default: `project`."
    )
    default_dataset: str | None = Field(
        default=None, description="Dataset of unqualified table names in queries."
    )
    location: str | None = Field(
        default=None, description="Location of jobs, e.g. `US`, `EU`, `europe-west1`."
    )
    auth: Auth = Field(
        default="application_default",
        description="How Belvedere authenticates: Application Default Credentials of the "
        "server, an uploaded service-account key, or none (emulators only).",
    )
    service_account_key: SecretStr | None = Field(
        default=None,
        description="Service-account key (the JSON file's content); stored encrypted, never "
        "shown again.",
    )
    identity: Identity = Field(
        default="service_account",
        description="Whose identity queries run as: the connection's own (`service_account`, "
        "shared by every user), each user's own Google account (`user_oauth`: each user "
        "authorizes BigQuery once), or a service account impersonated per user or group "
        "(`impersonation`, minted with the connection's own credentials).",
    )
    oauth_client_id: str | None = Field(
        default=None,
        description="OAuth client of users' authorizations (`user_oauth`). Default: the "
        "sign-in client, BELVEDERE_OIDC_CLIENT_ID.",
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None, description="Secret of `oauth_client_id` (stored encrypted)."
    )
    impersonation_targets: dict[str, str] = Field(
        default_factory=dict,
        description="Service account to impersonate per user or group, e.g. "
        '`{"user:alice@example.com": "sa-a@p.iam.gserviceaccount.com", '
        '"group:analysts": "sa-analysts@p.iam.gserviceaccount.com"}`; users first.',
    )
    impersonation_template: str | None = Field(
        default=None,
        description="Service account of users not in `impersonation_targets`, e.g. "
        "`bq-{user}@{project}.iam.gserviceaccount.com` ({user}: the email's local part, "
        "{email}, {project}).",
    )
    maximum_bytes_billed: int | None = Field(
        default=None,
        ge=1,
        description="Cap on bytes billed per query: set on every job, and a query whose dry "
        "run already exceeds it never starts.",
    )
    use_storage_api: bool = Field(
        default=True,
        description="Read results and tables over the BigQuery Storage Read API (fast, Arrow "
        "over gRPC); REST pages otherwise, or when it cannot be used.",
    )
    api_endpoint: str | None = Field(
        default=None, description="REST endpoint override, e.g. an emulator's URL."
    )
    storage_api_endpoint: str | None = Field(
        default=None, description="Storage Read API endpoint override (`host:port`)."
    )
    storage_api_insecure: bool = Field(
        default=False,
        description="Talk to the Storage Read API endpoint over plaintext gRPC (emulators).",
    )

    @model_validator(mode="after")
    def _key_when_needed(self) -> BigQueryOptions:
        if self.identity == "impersonation" and not (
            self.impersonation_targets or self.impersonation_template
        ):
            raise ValueError(
                "identity 'impersonation' needs impersonation_targets or impersonation_template"
            )
        if self.auth == "service_account_key":
            if self.service_account_key is None or not self.service_account_key.get_secret_value():
                raise ValueError("auth 'service_account_key' needs a service_account_key")
            service_account_info(self.service_account_key)
        return self

    @property
    def job_project(self) -> str:
        """Where jobs run."""
        return self.billing_project or self.project


def service_account_info(key: SecretStr) -> dict[str, str]:
    """The parsed key; a clear error (never echoing the key) when it is not one."""
    try:
        info = json.loads(key.get_secret_value())
    except json.JSONDecodeError:
        raise ValueError("service_account_key is not JSON: upload the key file's content") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError(
            'service_account_key is not a service-account key ("type" must be "service_account")'
        )
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise ValueError(f"service_account_key lacks {', '.join(missing)}")
    return info
