"""The processor contract: how analysis plugs into the pipeline.

A processor turns one input blob into facts (JSON: metadata, text, detections) and
derivative files (proxy, thumbnails, audio track, transcript...). It never touches the
original: it reads ``ctx.input_path`` and writes only into ``ctx.workdir``. The pipeline
stores each derivative content-addressed, records its parent hash, the processor's name,
version and parameters, and appends a custody event.

Outputs are keyed by content (sha256, processor, version, parameters), so identical
footage in two cases is processed once. Anything a person adds or corrects belongs to an
exhibit, never to the shared content.
"""

from __future__ import annotations

import fnmatch
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson


class ProcessingFailed(Exception):
    """A processor could not handle its input; ``reason`` is shown to people as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotApplicable(ProcessingFailed):
    """The input turned out to be outside the processor's work (a video with no audio
    track, a file FFmpeg does not recognise): the job ends "skipped", not "failed", and the
    jobs that depend on it run without it."""


@dataclass(frozen=True)
class Derivative:
    """A file the processor produced in its work directory."""

    kind: str  # "proxy", "poster", "thumbnail", "audio", "transcript-vtt", ...
    path: Path
    mime_type: str
    label: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Child:
    """A member of a container (archive entry, email attachment) to become a child item."""

    path: Path
    member_path: str  # its name inside the container, untrusted text
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    facts: dict[str, Any] = field(default_factory=dict)
    derivatives: list[Derivative] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    params: dict[str, Any] | None = None  # set by the pipeline: the parameters the job ran with


@dataclass(frozen=True)
class Processed:
    """A processor's result on some content, as the pipeline tells plugins of it
    (``exhibits_processed``); ``processor`` is the class or an instance."""

    sha256: str
    processor: Any
    result: Result


@dataclass
class Context:
    """What a processor may read: its input, its parameters, and its dependencies' outputs."""

    sha256: str
    mime_type: str
    input_path: Path
    workdir: Path
    params: dict[str, Any]
    dependency_facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    dependency_derivatives: dict[str, list[tuple[Derivative, Path]]] = field(default_factory=dict)
    time_limit: float | None = None  # seconds this run may take; pass on to subprocesses

    def facts_of(self, processor: str) -> dict[str, Any]:
        return self.dependency_facts.get(processor, {})

    def derivative_of(self, processor: str, kind: str) -> Path | None:
        """Local path of a dependency's derivative of the given kind, if it made one."""
        for derivative, path in self.dependency_derivatives.get(processor, []):
            if derivative.kind == kind:
                return path
        return None


class Processor(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    accepts: ClassVar[tuple[str, ...]]  # MIME patterns, e.g. ("video/*", "audio/*")
    depends_on: ClassVar[tuple[str, ...]] = ()
    queue: ClassVar[str] = "default"  # "media" for CPU-heavy video work
    timeout_seconds: ClassVar[int] = 1800
    memory_limit_mb: ClassVar[int | None] = None  # address-space limit; None: [processing] default
    default_params: ClassVar[dict[str, Any]] = {}

    def applies_to(self, mime_type: str) -> bool:
        return any(fnmatch.fnmatch(mime_type, pattern) for pattern in self.accepts)

    def params(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**self.default_params, **(overrides or {})}

    @classmethod
    def params_from_vault(cls, settings: Any) -> dict[str, Any]:
        """Parameters this processor takes from the vault's own settings (a capability's
        section, such as ``[analysis]``); ``[processing.params.<name>]`` still overrides."""
        return {}

    @staticmethod
    def params_hash(params: dict[str, Any]) -> str:
        return hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]

    @abstractmethod
    def run(self, ctx: Context) -> Result:
        """Process ``ctx.input_path``; raise ProcessingFailed with a readable reason."""
