"""What every command shares: the vault and user it acts as, output, and progress bars."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from exhibits.errors import ConfigurationError
from exhibits.locations import resolve_vault_path

if TYPE_CHECKING:
    from exhibits.access.principal import Principal
    from exhibits.vault import Vault

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
USER_ENV = "EXHIBITS_USER"

_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}


def printable(text: str | None) -> str:
    """Untrusted text made safe for a terminal: control and bidi characters escaped."""
    if text is None:
        return ""
    out = []
    for char in text:
        if unicodedata.category(char) in _INVISIBLE:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    return "".join(out)


def print_error(message: str) -> None:
    line = Text("error: ", style="bold red")
    line.append(printable(message.replace("\n", " ")))
    err_console.print(line)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


@dataclass
class CliState:
    vault_path: Path | None
    acting_as: str | None
    _vault: Vault | None = field(default=None, repr=False)
    _principal: Principal | None = field(default=None, repr=False)

    def vault(self) -> Vault:
        if self._vault is None:
            from exhibits.vault import Vault

            self._vault = Vault.open(self.vault_dir())
            from exhibits.cli import started

            started()
        return self._vault

    def vault_dir(self) -> Path:
        """The vault's directory, found without reading its settings."""
        return resolve_vault_path(self.vault_path)

    def principal(self) -> Principal:
        if self._principal is None:
            vault = self.vault()
            collar = os.environ.get(USER_ENV) or vault.settings.default_user
            if not collar:
                raise ConfigurationError(f"set {USER_ENV} to your collar number")
            self._principal = vault.users.principal_for(
                collar, via="cli", acting_as=self.acting_as, os_user=vault.os_user
            )
        return self._principal

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


def state(ctx: typer.Context) -> CliState:
    current = ctx.find_root().obj
    assert isinstance(current, CliState)
    return current


@contextmanager
def byte_progress(
    enabled: bool = True,
) -> Iterator[Callable[[str, int], Callable[[int], None] | None]]:
    """Rich progress bars (bytes, rate, ETA); yields a factory of per-item callbacks."""
    if not enabled or not err_console.is_terminal:
        yield lambda _label, _total: None
        return
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as bars:

        def start(label: str, total: int) -> Callable[[int], None]:
            task = bars.add_task(printable(label)[-40:], total=total)
            return lambda n: bars.advance(task, n)

        yield start


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
