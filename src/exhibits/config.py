"""Settings: the vault's ``exhibits.toml``, overridden by ``EXHIBITS_*`` environment variables.

Core settings are typed fields here. A capability keeps its own settings as a section
(``[processing]`` in the file, ``EXHIBITS_PROCESSING__WORKERS`` in the environment) and
reads it with ``settings.section("processing", ProcessingSettings)``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from exhibits.errors import ConfigurationError
from exhibits.locations import CONFIG_FILE as CONFIG_FILE
from exhibits.locations import TMP_DIR
from exhibits.locations import VAULT_ENV as VAULT_ENV
from exhibits.locations import resolve_vault_path as resolve_vault_path

M = TypeVar("M", bound=BaseModel)

DEFAULT_JUSTIFICATIONS = [
    "Investigation of this case",
    "Disclosure review",
    "Case file preparation",
    "Supervisory review",
    "Audit or complaint",
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EXHIBITS_",
        env_nested_delimiter="__",
        extra="allow",
    )

    vault: Path
    vault_id: str = ""
    force_code: str = "00"
    force_name: str = "Exhibits demonstration force"
    database_url: str = ""
    database_admin_url: str = ""
    blob_url: str = ""
    log_origin: str = ""
    log_key: str = ""
    signing_key_file: Path | None = None
    signing_key: SecretStr | None = None
    signing_key_provider: str | None = None
    checkpoint_interval_seconds: int = Field(default=60, ge=1)
    default_user: str | None = None
    max_ingest_bytes: int = Field(default=256 * 2**30, ge=1)
    justification_policy: Literal["required", "optional"] = "required"
    justification_reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_JUSTIFICATIONS))
    unassigned_retention_days: int = Field(default=31, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the vault's file, which is passed as init values.
        return env_settings, init_settings

    def model_post_init(self, _context: Any) -> None:
        self.vault = self.vault.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.vault / 'exhibits.db'}"
        if not self.database_admin_url:
            self.database_admin_url = self.database_url
        if not self.blob_url:
            self.blob_url = (self.vault / "blobs").as_uri()

    @property
    def tmp_dir(self) -> Path:
        return self.vault / TMP_DIR

    def section(self, name: str, model: type[M]) -> M:
        """A capability's own settings, validated by its model."""
        raw = (self.model_extra or {}).get(name, {})
        raw = _with_environment(name, dict(raw) if isinstance(raw, dict) else {})
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid [{name}] settings: {exc}") from exc


def _with_environment(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``EXHIBITS_<NAME>__FIELD[__KEY]`` variables on a section read from the file."""
    prefix = f"EXHIBITS_{name.upper()}__"
    for variable, text in os.environ.items():
        if not variable.upper().startswith(prefix):
            continue
        path = [part.lower() for part in variable[len(prefix) :].split("__") if part]
        if not path:
            continue
        target = values
        for part in path[:-1]:
            existing = target.get(part)
            target[part] = dict(existing) if isinstance(existing, dict) else {}
            target = target[part]
        target[path[-1]] = text
    return values


def load_settings(vault: Path) -> Settings:
    path = vault / CONFIG_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"{vault} is not an Exhibits vault (no {CONFIG_FILE}); run 'exhibits init' "
            "or point --vault / EXHIBITS_VAULT at one"
        )
    try:
        values = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    values["vault"] = vault
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings in {path}: {exc}") from exc


def write_config(vault: Path, values: dict[str, Any]) -> None:
    lines = ["# Exhibits vault settings. Environment variables EXHIBITS_* override these.\n"]
    for key, value in values.items():
        lines.append(f"{key} = {_toml_value(value)}\n")
    (vault / CONFIG_FILE).write_text("".join(lines))


def update_config(vault: Path, **changes: Any) -> None:
    """Change settings in a vault's file, keeping the others."""
    path = vault / CONFIG_FILE
    values = tomllib.loads(path.read_text())
    values.update(changes)
    write_config(vault, values)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
