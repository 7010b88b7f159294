"""BagIt (RFC 8493) reading and writing, standard library only.

Reading is defensive: manifests are bounded in size and entries, every path must stay
inside the bag's payload directory, and nothing is followed through a symbolic link.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

BAGIT_VERSION = "1.0"
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_ENTRIES = 1_000_000
MAX_TAG_FILE_BYTES = 256 * 2**20
CHUNK = 4 * 2**20
TAG_MANIFEST = "tagmanifest-sha256.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BagError(ValueError):
    """The bag is malformed or unsafe; the message says why, in plain words."""


def encode_path(path: str) -> str:
    """RFC 8493 section 2.1.3: percent-encode CR, LF and % in manifest paths."""
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def decode_path(text: str) -> str:
    return re.sub(
        r"%(0A|0D|25)", lambda m: {"0A": "\n", "0D": "\r", "25": "%"}[m.group(1).upper()], text, flags=re.I
    )


def safe_relative(path: str, *, under: str | None) -> str:
    """A manifest path, checked: relative, no '..', no backslashes, inside ``under``."""
    if not path or "\x00" in path or "\\" in path:
        raise BagError(f"manifest entry {path!r} is not a valid path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("..", ".", "") for part in path.split("/")):
        raise BagError(f"manifest entry {path!r} points outside the bag")
    if under is not None and (len(pure.parts) < 2 or pure.parts[0] != under):
        raise BagError(f"manifest entry {path!r} is not inside {under}/")
    return str(pure)


def read_manifest(root: Path, name: str, *, under: str | None) -> dict[str, str]:
    """path -> sha256 from a manifest, refusing oversized, duplicated or unsafe entries."""
    path = root / name
    if path.is_symlink() or not path.is_file():
        raise BagError(f"{name} is missing")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BagError(f"{name} is larger than {MAX_MANIFEST_BYTES // 2**20} MiB: refused as implausible")
    entries: dict[str, str] = {}
    with path.open("r", encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if number > MAX_ENTRIES:
                raise BagError(f"{name} lists more than {MAX_ENTRIES:,} files: refused as implausible")
            line = line.rstrip("\n").rstrip("\r")
            if not line:
                continue
            digest, sep, rest = line.partition(" ")
            if not sep or not _HEX64.match(digest.lower()):
                raise BagError(f"{name} line {number} is not 'SHA-256 path'")
            relative = safe_relative(decode_path(rest.lstrip(" ")), under=under)
            if relative in entries:
                raise BagError(f"{name} lists {relative!r} twice")
            entries[relative] = digest.lower()
    return entries


def read_tag_fields(path: Path) -> dict[str, list[str]]:
    """Label: value lines (with continuation lines) of bagit.txt or bag-info.txt."""
    if path.is_symlink() or not path.is_file():
        raise BagError(f"{path.name} is missing")
    if path.stat().st_size > 1 << 20:
        raise BagError(f"{path.name} is implausibly large")
    fields: dict[str, list[str]] = {}
    last = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep:
            raise BagError(f"{path.name} has a line without 'Label: value'")
        last = label.strip()
        fields.setdefault(last, []).append(value.strip())
    return fields


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size


def walk_files(root: Path, top: str) -> Iterable[str]:
    """Every entry under ``root/top`` as a bag-relative path; links and oddities included
    (they are reported, never followed)."""
    base = root / top
    if not base.exists():
        return
    for directory, dirs, files in os.walk(base, followlinks=False):
        rel_dir = Path(directory).relative_to(root).as_posix()
        for name in dirs:
            if (Path(directory) / name).is_symlink():
                yield f"{rel_dir}/{name}"
        for name in files:
            yield f"{rel_dir}/{name}"


def write_manifest(path: Path, entries: dict[str, str]) -> None:
    lines = [f"{sha}  {encode_path(name)}\n" for name, sha in sorted(entries.items())]
    path.write_text("".join(lines), encoding="utf-8")


@dataclass(frozen=True)
class BagInfo:
    fields: list[tuple[str, str]]

    def text(self) -> str:
        return "".join(f"{label}: {value}\n" for label, value in self.fields)
