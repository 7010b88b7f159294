"""Archives (zip, tar, and gzip/bzip2/xz-compressed tar or single files): members become
children, guarded against hostile containers.

- Zip bombs: limits on member count, total expanded size and expansion ratio, checked
  on the declared sizes first and then on the bytes actually produced (declared sizes lie).
- Path traversal: member names are kept as untrusted text and never used as paths;
  members are written to numbered files in the job's work directory. Names that try to
  climb out (``../``, absolute paths) are noted as warnings.
- Links and devices: symbolic and hard links, devices and FIFOs are not followed or
  created; they are listed as skipped.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar

from exhibits.processing.media import metadata as md
from exhibits.processing.processor import Child, Context, ProcessingFailed, Processor, Result

CHUNK = 1024 * 1024
ZIP = ("application/zip", "application/x-zip-compressed")
TAR = ("application/x-tar",)
COMPRESSED = ("application/gzip", "application/x-gzip", "application/x-bzip2", "application/x-xz")


class Limits:
    def __init__(self, params: dict[str, Any], packed_size: int) -> None:
        self.max_members = int(params["max_members"])
        self.max_total = int(params["max_total_bytes"])
        self.max_ratio = float(params["max_ratio"])
        self.packed = max(1, packed_size)
        self.written = 0

    def budget(self) -> int:
        """Bytes that may still be written before a limit is crossed."""
        by_ratio = int(self.packed * self.max_ratio) + CHUNK  # small archives get some slack
        return min(self.max_total, max(by_ratio, 16 * CHUNK)) - self.written

    def bomb(self, what: str) -> ProcessingFailed:
        return ProcessingFailed(
            f"zip bomb guard: {what} (limits: {self.max_members:,} members, {self.max_total:,} bytes "
            f"in all, {self.max_ratio:g}x expansion)"
        )


def suspicious(name: str) -> str | None:
    """Why a member name would escape a naive extraction, if it would."""
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(cleaned).parts:
        return "a path that climbs out of the archive (..)"
    if any(ord(c) < 32 for c in name):
        return "control characters"
    return None


class ArchiveMembers(Processor):
    name = "archive"
    version = "1"
    accepts = ZIP + TAR + COMPRESSED
    queue = "default"
    timeout_seconds = 1800
    memory_limit_mb: ClassVar[int | None] = 1024
    default_params: ClassVar[dict[str, Any]] = {
        "max_members": 5000,
        "max_total_bytes": 16 * 2**30,
        "max_ratio": 200,
    }

    def run(self, ctx: Context) -> Result:
        limits = Limits(ctx.params, ctx.input_path.stat().st_size)
        notes: list[str] = []
        if ctx.mime_type in ZIP:
            children = list(self._zip(ctx, limits, notes))
            kind = "zip"
        else:
            children, kind = self._tar_or_single(ctx, limits, notes)
        facts = {
            "kind": "archive",
            "format": kind,
            "members": len(children),
            "expanded_bytes": limits.written,
            "skipped": [n for n in notes if n.startswith("skipped")][:100],
        }
        return Result(facts=facts, children=children, warnings=notes[:50])

    # --- zip ---------------------------------------------------------------------------------

    def _zip(self, ctx: Context, limits: Limits, notes: list[str]) -> Iterator[Child]:
        try:
            archive = zipfile.ZipFile(ctx.input_path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ProcessingFailed(f"not a readable zip archive: {exc}") from exc
        with archive:
            infos = archive.infolist()
            files = [i for i in infos if not i.is_dir()]
            if len(files) > limits.max_members:
                raise ProcessingFailed(
                    f"the archive holds {len(files):,} files, over the limit of {limits.max_members:,} "
                    "(raise processing.params.archive.max_members to open it)"
                )
            declared = sum(i.file_size for i in files)
            if declared > limits.max_total or declared > limits.packed * limits.max_ratio + 16 * CHUNK:
                raise limits.bomb(f"it declares {declared:,} bytes from {limits.packed:,}")
            for number, info in enumerate(files, start=1):
                name = md.text(info.filename, 4096) or f"member-{number}"
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    notes.append(f"skipped {name!r}: a symbolic link (not followed)")
                    continue
                if info.flag_bits & 0x1:
                    notes.append(f"skipped {name!r}: encrypted")
                    continue
                self._note_name(name, notes)
                target = ctx.workdir / f"member-{number}"
                try:
                    with archive.open(info) as source:
                        self._copy(source, target, limits, name)
                except zipfile.BadZipFile as exc:
                    notes.append(f"skipped {name!r}: damaged ({exc})")
                    target.unlink(missing_ok=True)
                    continue
                except (NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
                    notes.append(f"skipped {name!r}: cannot be extracted ({str(exc)[:120]})")
                    target.unlink(missing_ok=True)
                    continue
                if not target.stat().st_size:
                    notes.append(f"skipped {name!r}: empty (0 bytes), so there is no content to keep")
                    continue
                stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*info.date_time)
                yield Child(target, name, {"modified": stamp})

    # --- tar and compressed files ------------------------------------------------------------

    def _tar_or_single(self, ctx: Context, limits: Limits, notes: list[str]) -> tuple[list[Child], str]:
        try:
            archive = tarfile.open(ctx.input_path, mode="r:*")  # noqa: SIM115 - closed below
        except tarfile.ReadError:
            if ctx.mime_type in TAR:
                raise ProcessingFailed("not a readable tar archive") from None
            return [self._single(ctx, limits)], "compressed file"
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise ProcessingFailed(f"the compressed archive is damaged: {exc}") from exc
        children: list[Child] = []
        count = 0
        try:
            with archive:
                for member in archive:
                    name = md.text(member.name, 4096) or f"member-{count + 1}"
                    if member.isdir():
                        continue
                    count += 1
                    if count > limits.max_members:
                        raise ProcessingFailed(
                            f"the archive holds more than {limits.max_members:,} files "
                            "(raise processing.params.archive.max_members to open it)"
                        )
                    if member.issym() or member.islnk():
                        notes.append(
                            f"skipped {name!r}: a link to {md.text(member.linkname, 200)!r} (not followed)"
                        )
                        continue
                    if not member.isfile():
                        notes.append(f"skipped {name!r}: not a regular file (device or FIFO)")
                        continue
                    if member.size > limits.budget():
                        raise limits.bomb(f"{name!r} declares {member.size:,} bytes")
                    self._note_name(name, notes)
                    source = archive.extractfile(member)
                    if source is None:
                        continue
                    target = ctx.workdir / f"member-{count}"
                    with source:
                        self._copy(source, target, limits, name)
                    if not target.stat().st_size:
                        notes.append(f"skipped {name!r}: empty (0 bytes), so there is no content to keep")
                        continue
                    children.append(
                        Child(target, name, {"modified": _mtime(member.mtime), "mode": oct(member.mode)})
                    )
        except (tarfile.TarError, EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
            if not children:
                raise ProcessingFailed(f"the archive is damaged: {str(exc)[:200]}") from exc
            notes.append(
                f"the archive is damaged after {len(children)} members ({str(exc)[:120]}): the rest are lost"
            )
        return children, "tar"

    def _single(self, ctx: Context, limits: Limits) -> Child:
        opener = {"application/x-bzip2": bz2.open, "application/x-xz": lzma.open}.get(
            ctx.mime_type, gzip.open
        )
        name = "content"
        if opener is gzip.open:
            name = _gzip_name(ctx.input_path) or name
        target = ctx.workdir / "member-1"
        try:
            with opener(ctx.input_path, "rb") as source:
                self._copy(source, target, limits, name)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise ProcessingFailed(f"the compressed file is damaged: {str(exc)[:200]}") from exc
        return Child(target, name, {})

    # --- shared ------------------------------------------------------------------------------

    @staticmethod
    def _note_name(name: str, notes: list[str]) -> None:
        why = suspicious(name)
        if why:
            notes.append(f"member name {name!r} is {why}: kept as text only, nothing written outside")

    @staticmethod
    def _copy(source: IO[bytes], target: Path, limits: Limits, name: str) -> None:
        """Copy a member's bytes, counting what is actually produced against the limits."""
        with target.open("wb") as out:
            while True:
                budget = limits.budget()
                chunk = source.read(min(CHUNK, max(budget, 0) + 1))
                if not chunk:
                    return
                if len(chunk) > budget:
                    raise limits.bomb(f"{name!r} expands past {limits.written + budget:,} bytes")
                out.write(chunk)
                limits.written += len(chunk)


def _mtime(value: Any) -> str | None:
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(float(value), UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def _gzip_name(path: Path) -> str | None:
    """The original file name stored in a gzip header (FNAME), if any."""
    with path.open("rb") as handle:
        header = handle.read(10)
        if len(header) < 10 or header[:2] != b"\x1f\x8b" or not header[3] & 0x08:
            return None
        if header[3] & 0x04:  # FEXTRA
            extra = int.from_bytes(handle.read(2), "little")
            handle.read(extra)
        raw = bytearray()
        while len(raw) < 1024:
            byte = handle.read(1)
            if not byte or byte == b"\x00":
                break
            raw += byte
    return md.text(bytes(raw).decode("latin-1"), 1024)
