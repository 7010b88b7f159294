"""Running external tools (FFmpeg, ffprobe) from processors: bounded, killable, explained.

FFmpeg runs as a separate program rather than linked into Python: a crash on hostile
input stays in that process, the runner's process group (and so a timeout) covers it, and
the GPL-licensed encoders in Debian's build are used as a tool, not linked into Exhibits.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from exhibits.processing.processor import ProcessingFailed

STDERR_KEEP = 64 * 1024
_CONTEXT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")  # FFmpeg's "[h264 @ 0x55d0...] " prefix


@functools.cache
def tied_to_parent() -> tuple[str, ...]:
    """The prefix that makes a tool die with the thread that started it (a runner killed
    mid-job must not leave an FFmpeg transcoding): util-linux's ``setpriv`` asks the kernel
    (``PR_SET_PDEATHSIG``), then becomes the tool. Done by exec rather than by a
    ``preexec_fn``: Python code in a forked child of a multi-threaded process (the API
    server probes from worker threads) can deadlock on a lock another thread held at the
    fork, and did. Empty where there is no ``setpriv`` (the tool then outlives a killed
    parent until its own timeout)."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()


@functools.cache
def tool_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ProcessingFailed(f"{name} is not installed on this worker (install Debian's ffmpeg package)")
    return path


@functools.cache
def tool_version(name: str) -> str:
    """'ffmpeg 5.1.9-0+deb12u1', as the tool reports itself (recorded with every output)."""
    try:
        out = subprocess.run([tool_path(name), "-version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return f"{name} (version unknown)"
    first = out.stdout.decode("utf-8", "replace").splitlines()[:1]
    match = re.match(r"^(\S+) version (\S+)", first[0]) if first else None
    return f"{match.group(1)} {match.group(2)}" if match else f"{name} (version unknown)"


def run_tool(
    args: Sequence[str | Path],
    *,
    timeout: float | None,
    what: str,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a tool to completion; raise ProcessingFailed with its own words if it fails."""
    command = [*tied_to_parent(), tool_path(str(args[0])), *(str(a) for a in args[1:])]
    started = time.monotonic()
    try:
        process = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessingFailed(
            f"timed out: {what} still running after {time.monotonic() - started:.0f} s, so it was stopped"
        ) from exc
    if process.returncode != 0:
        raise ProcessingFailed(f"{what} failed: {explain(process.stderr)}")
    return process


def explain(stderr: bytes) -> str:
    """The most telling line of a tool's error output, for people."""
    lines = [
        _CONTEXT.sub("", line.strip())
        for line in stderr[-STDERR_KEEP:].decode("utf-8", "replace").splitlines()
        if line.strip() and not line.startswith(("  ", "Input #", "Output #", "Stream mapping"))
    ]
    if not lines:
        return "no reason given"
    for line in lines:
        lower = line.lower()
        for pattern, meaning in KNOWN_ERRORS:
            if pattern in lower:
                return f"{meaning} ({line[:200]})"
    return lines[-1][:300]


KNOWN_ERRORS = [
    ("moov atom not found", "the file is truncated or was never finalised by the recorder"),
    ("invalid data found when processing input", "corrupt or unrecognised stream"),
    ("end of file", "the file is truncated"),
    ("no such file", "the input is missing"),
    ("decoder (codec", "unsupported codec"),
    ("unknown decoder", "unsupported codec"),
    ("could not find codec parameters", "corrupt or unsupported stream"),
    ("cannot allocate memory", "ran out of memory"),
]


def remaining(deadline: float | None, reserve: float = 0.0) -> float | None:
    """Seconds left before ``deadline`` (time.monotonic), for a subprocess timeout."""
    if deadline is None:
        return None
    return max(1.0, deadline - time.monotonic() - reserve)
