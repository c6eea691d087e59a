"""The settings table: read from the environment, every setting described, secrets hidden
(the README's table of them is checked with the other docs, in test_docs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from belvedere.settings import Settings, env_name


def test_every_setting_has_help() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{env_name(name)} has no description"


def test_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BELVEDERE_PORT", "9999")
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BELVEDERE_QUERY_TIMEOUT_SECONDS", "12.5")
    settings = Settings()
    assert settings.port == 9999
    assert settings.data_dir == tmp_path
    assert settings.query_timeout_seconds == 12.5
    assert settings.metadata_url == f"sqlite:///{tmp_path / 'belvedere.db'}"


def test_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BELVEDERE_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BELVEDERE_SECRET_KEY", "super-secret-value")
    monkeypatch.setenv("BELVEDERE_ADMIN_PASSWORD", "admin-secret-value")
    settings = Settings()
    assert "super-secret-value" not in repr(settings) + str(settings)
    assert "admin-secret-value" not in repr(settings) + str(settings)
