"""Options of a BigQuery connection, and how they become credentials."""

from __future__ import annotations

import json
import re
from string import Formatter
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from belvedere.warehouses.errors import OPTIONS_CONFLICT

Auth = Literal["application_default", "service_account_key", "none"]
Identity = Literal["service_account", "user_oauth", "impersonation"]

#: Placeholders of ``impersonation_template``.
TEMPLATE_FIELDS = frozenset({"user", "email", "project"})


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
        "`bq-{user}@{project}.iam.gserviceaccount.com`. Placeholders: {email} (the user's "
        "whole verified e-mail, lowercased), {project}, and {user} (the e-mail's local part, "
        "only for e-mails of `impersonation_domains`; users of other domains are refused).",
    )
    impersonation_domains: list[str] = Field(
        default_factory=list,
        description="E-mail domains whose users the template's {user} may name, e.g. "
        '`["example.com"]` (or `example.com, example.org`). Required when the template uses '
        "{user}: the local part alone names a person only inside a domain you trust.",
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

    @field_validator("impersonation_domains", mode="before")
    @classmethod
    def _domains_text(cls, value: object) -> object:
        """``"a.example, b.example"`` (as a form's text field sends it) is a list too."""
        return [d for d in re.split(r"[\s,]+", value) if d] if isinstance(value, str) else value

    @field_validator("impersonation_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        cleaned = [d.strip().lower().removeprefix("@") for d in domains]
        if any(not d or "@" in d or any(c.isspace() for c in d) for d in cleaned):
            raise ValueError("a domain is a name like example.com, without '@' or spaces")
        return cleaned

    @field_validator("impersonation_template")
    @classmethod
    def _template(cls, template: str | None) -> str | None:
        if template is not None:
            template_fields(template)
        return template

    @model_validator(mode="after")
    def _key_when_needed(self) -> BigQueryOptions:
        if self.identity == "impersonation":
            if not (self.impersonation_targets or self.impersonation_template):
                raise conflict(
                    "identity 'impersonation' needs impersonation_targets or impersonation_template"
                )
            if self.auth == "none":
                raise conflict(
                    "identity 'impersonation' mints each user's token with the connection's "
                    "own credentials, and auth 'none' has none: choose auth "
                    "'application_default' or 'service_account_key'"
                )
            uses_user = "user" in template_fields(self.impersonation_template or "")
            if uses_user and not self.impersonation_domains:
                raise conflict(
                    "impersonation_template uses {user}, which names a person only inside a "
                    "domain you trust: list those domains in impersonation_domains, or use "
                    "{email}"
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


def conflict(message: str) -> PydanticCustomError:
    """The error of options that cannot work together (answered 422 when saved)."""
    return PydanticCustomError(OPTIONS_CONFLICT, message)


def template_fields(template: str) -> set[str]:
    """The placeholders of an impersonation template; refuses any other, and any attribute,
    index, conversion or format spec (``{email.__class__}``)."""
    found: set[str] = set()
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"impersonation_template is not a valid template: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS or spec or conversion:
            raise ValueError(
                f"impersonation_template may only use {{user}}, {{email}} and {{project}}, "
                f"not {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}"
            )
        found.add(name)
    return found


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
