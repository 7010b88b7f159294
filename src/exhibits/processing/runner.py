"""Processors run in a separate process with limits, so hostile input cannot take a worker down.

A worker keeps one runner process (reused from job to job, so models load once) and
talks to it over a pipe in length-prefixed JSON. Before each run the runner lowers its
address-space limit; the worker waits at most the job's time limit, then kills the
runner's whole process group (FFmpeg included) and starts a fresh one for the next job.
A segfault, an out-of-memory kill or a timeout therefore ends one job with a reason, and
nothing else. The runner dies with its worker (PR_SET_PDEATHSIG), so a killed worker
leaves no orphaned transcode behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import math
import os
import resource
import select
import signal
import stat
import struct
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from exhibits.processing.processor import (
    Child,
    Context,
    Derivative,
    NotApplicable,
    ProcessingFailed,
    Processor,
    Result,
)

_HEADER = struct.Struct(">I")
MAX_MESSAGE = 256 * 2**20
PR_SET_PDEATHSIG = 1


@dataclass
class Outcome:
    """How one run ended: done, failed, skipped (not applicable), timeout or crashed."""

    status: str
    seconds: float
    result: Result | None = None
    reason: str = ""


def processor_ref(processor: Processor | type[Processor]) -> str:
    cls = processor if isinstance(processor, type) else type(processor)
    return f"{cls.__module__}:{cls.__qualname__}"


# --- the worker's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One run of a processor, encoded for the runner: made while the runner is still busy
    with the job before, so that it goes straight on to this one."""

    payload: bytes
    workdir: Path
    time_limit: float
    memory_limit_mb: int

    @classmethod
    def of(cls, processor: Processor, ctx: Context, *, time_limit: float, memory_limit_mb: int) -> Request:
        message = {
            "processor": processor_ref(processor),
            "sha256": ctx.sha256,
            "mime_type": ctx.mime_type,
            "input_path": str(ctx.input_path),
            "workdir": str(ctx.workdir),
            "params": ctx.params,
            "dependency_facts": ctx.dependency_facts,
            "dependency_derivatives": {
                name: [[_derivative_dict(d), str(path)] for d, path in items]
                for name, items in ctx.dependency_derivatives.items()
            },
            "time_limit": time_limit,
            "memory_limit": memory_limit_mb * 2**20,
        }
        return cls(_encode(message), Path(ctx.workdir), time_limit, memory_limit_mb)


class Runner:
    """The worker's handle on one runner process: ``start`` a job, then ``finish`` it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._started = 0.0
        self._broken = False

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        return subprocess.Popen(
            [sys.executable, "-m", "exhibits.processing.runner", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: a timeout kills FFmpeg too
            close_fds=True,
        )

    def start(self, request: Request) -> None:
        """Send a job to the runner (started first if need be); ``finish`` waits for it."""
        if self._process is None or self._process.poll() is not None:
            self._process = self._start()
        assert self._process.stdin is not None
        self._started = time.monotonic()
        self._broken = False
        try:
            _write(self._process.stdin, request.payload)
        except (BrokenPipeError, OSError):  # it died meanwhile: said in ``finish``
            self._broken = True

    def finish(self, request: Request) -> Outcome:
        """How the job last started ended, waiting at most its time limit from its start."""
        process, started = self._process, self._started
        try:
            if process is None or self._broken:
                raise BrokenPipeError
            assert process.stdout is not None
            answer = _receive(process.stdout, deadline=started + request.time_limit)
        except TimeoutError:
            self.kill()
            return Outcome("timeout", time.monotonic() - started, reason=_timeout_reason(request.time_limit))
        except (BrokenPipeError, EOFError, OSError, ValueError):
            code = self.kill()
            reason = _crash_reason(code, request.memory_limit_mb)
            return Outcome("crashed", time.monotonic() - started, reason=reason)
        seconds = float(answer.get("seconds", time.monotonic() - started))
        status = answer["status"]
        if status != "done":
            return Outcome(status, seconds, reason=str(answer.get("reason", "")))
        try:
            result = _result_from(answer["result"], request.workdir)
        except ValueError as exc:
            return Outcome("failed", seconds, reason=f"internal error in processor: {exc}")
        return Outcome("done", seconds, result=result)

    def kill(self) -> int | None:
        """Stop the runner and everything it started; returns its exit status."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        code = process.wait()
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if stream:
                    stream.close()
        return code

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process = process
            self.kill()


def _timeout_reason(limit: float) -> str:
    return f"timed out: still running after its {limit:g}-second time limit, so it was stopped"


def _crash_reason(code: int | None, memory_limit_mb: int) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGKILL:
            return (
                f"the processor was killed ({name}), most likely for running out of memory "
                f"({memory_limit_mb} MiB allowance)"
            )
        return f"the processor crashed ({name}) on this input"
    return f"the processor stopped unexpectedly (exit status {code})"


def _derivative_dict(derivative: Derivative) -> dict[str, Any]:
    return {
        "kind": derivative.kind,
        "path": str(derivative.path),
        "mime_type": derivative.mime_type,
        "label": derivative.label,
        "facts": derivative.facts,
    }


def _inside(path: str, root: str) -> Path:
    """A processor's output must be a regular file inside its work directory (``root``,
    resolved), reached through no link."""
    candidate = os.path.normpath(os.path.join(root, path))  # an absolute path stays as it is
    inside = candidate.startswith(root + os.sep)
    if not inside or not stat.S_ISREG(_unlinked(root, candidate[len(root) + 1 :])):
        raise ValueError(f"processor output {path!r} is not a file in its work directory")
    return Path(candidate)


def _unlinked(root: str, relative: str) -> int:
    """The mode of ``root/relative``, checking each name below ``root`` for a link (0 if one
    is, or if it is missing): a few lstat calls where realpath would make one a name from /."""
    mode, path = 0, root
    for name in relative.split(os.sep):
        path = os.path.join(path, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return 0
        if stat.S_ISLNK(mode):
            return 0
    return mode


@functools.lru_cache(maxsize=16)
def _real(path: str) -> str:
    return os.path.realpath(path)


def _work_root(workdir: Path) -> str:
    """The work directory, resolved. The two names at its end are the job's own and made
    afresh for each job, so they are checked for links each time; what lies above them
    (the vault's temporary directory) is resolved once."""
    text = os.path.abspath(workdir)
    base = os.path.dirname(os.path.dirname(text))
    own = text[len(base) :].lstrip(os.sep)
    if not stat.S_ISDIR(_unlinked(_real(base), own)):
        raise ValueError("the work directory is not a plain directory")
    return os.path.join(_real(base), own)


def _result_from(data: dict[str, Any], workdir: Path) -> Result:
    root = _work_root(workdir)
    return Result(
        facts=data.get("facts") or {},
        derivatives=[
            Derivative(
                kind=d["kind"],
                path=_inside(d["path"], root),
                mime_type=d["mime_type"],
                label=d.get("label") or "",
                facts=d.get("facts") or {},
            )
            for d in data.get("derivatives", [])
        ],
        children=[
            Child(path=_inside(c["path"], root), member_path=c["member_path"], facts=c.get("facts") or {})
            for c in data.get("children", [])
        ],
        warnings=[str(w) for w in data.get("warnings", [])],
    )


def _encode(message: dict[str, Any]) -> bytes:
    data = orjson.dumps(message, default=_json_default)
    return _HEADER.pack(len(data)) + data


def _write(stream: Any, payload: bytes) -> None:
    stream.write(payload)
    stream.flush()


def _send(stream: Any, message: dict[str, Any]) -> None:
    _write(stream, _encode(message))


def _read_exact(fd: int, count: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, count - len(chunks))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


def _receive(stream: Any, deadline: float | None = None) -> dict[str, Any]:
    fd = stream.fileno()
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if length > MAX_MESSAGE:
        raise ValueError("message too large")
    return orjson.loads(_read_exact(fd, length, deadline))


# --- the runner's side ---------------------------------------------------------------------


def jsonable(value: Any, depth: int = 0) -> Any:
    """Facts as plain JSON: text stays text (NUL escaped), bytes become hex, odd numbers
    become null, anything else becomes its string form."""
    if depth > 32:
        return None
    if value is None or isinstance(value, bool):
        return value
    # Subclasses (numpy.float64 is a float) become the plain type, or JSON encoders loop.
    if isinstance(value, int):
        return int(value) if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return str(value).replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value[:4096]).hex()
    if isinstance(value, dict):
        return {str(jsonable(k, depth + 1)): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, depth + 1) for v in value]
    try:
        number = float(value)  # e.g. Pillow's IFDRational
    except (TypeError, ValueError, ZeroDivisionError):
        return jsonable(str(value), depth + 1)
    return number if math.isfinite(number) else None


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    return jsonable(value)


_processors: dict[str, Processor] = {}


def _load(ref: str) -> Processor:
    if ref not in _processors:
        module_name, _, qualname = ref.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        _processors[ref] = target()
    return _processors[ref]


def _run_one(request: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    ctx = Context(
        sha256=request["sha256"],
        mime_type=request["mime_type"],
        input_path=Path(request["input_path"]),
        workdir=Path(request["workdir"]),
        params=request["params"],
        dependency_facts=request["dependency_facts"],
        dependency_derivatives={
            name: [
                (
                    Derivative(
                        kind=d["kind"],
                        path=Path(path),
                        mime_type=d["mime_type"],
                        label=d.get("label", ""),
                        facts=d.get("facts", {}),
                    ),
                    Path(path),
                )
                for d, path in items
            ]
            for name, items in request["dependency_derivatives"].items()
        },
        time_limit=request.get("time_limit"),
    )
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        processor = _load(request["processor"])
        # The runner is reused, so models loaded by earlier jobs stay mapped: the limit is an
        # allowance on top of what the process already holds, not a total.
        limit = _address_space() + int(request["memory_limit"])
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
        try:
            result = processor.run(ctx)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except NotApplicable as exc:
        return {"status": "skipped", "reason": exc.reason, "seconds": time.monotonic() - started}
    except ProcessingFailed as exc:
        return {"status": "failed", "reason": exc.reason, "seconds": time.monotonic() - started}
    except MemoryError:
        allowance = int(request["memory_limit"]) // 2**20  # what the setting names, not the total
        reason = f"ran out of memory ({allowance} MiB allowance) on this input"
        return {"status": "failed", "reason": reason, "seconds": time.monotonic() - started}
    except RecursionError:
        reason = "the input is nested too deeply to process"
        return {"status": "failed", "reason": reason, "seconds": time.monotonic() - started}
    except Exception as exc:  # a bug in the processor: one line for people, details on stderr
        traceback.print_exc(file=sys.stderr)
        reason = f"internal error in processor ({type(exc).__name__}: {str(exc)[:300]})"
        return {"status": "failed", "reason": reason, "seconds": time.monotonic() - started}
    seconds = time.monotonic() - started
    return {
        "status": "done",
        "seconds": seconds,
        "result": {
            "facts": jsonable(result.facts),
            "derivatives": [jsonable(_derivative_dict(d)) for d in result.derivatives],
            "children": [
                {"path": str(c.path), "member_path": jsonable(c.member_path), "facts": jsonable(c.facts)}
                for c in result.children
            ],
            "warnings": [jsonable(str(w)) for w in result.warnings],
        },
    }


def _address_space() -> int:
    """Bytes of virtual memory this process holds now (VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def main(argv: list[str]) -> None:
    parent = int(argv[1]) if len(argv) > 1 else None
    die_with_parent()
    if parent is not None and os.getppid() != parent:
        return  # the worker died before we could ask to follow it
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The pipe to the worker moves off fd 1, so a processor that prints cannot corrupt it.
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel_in = sys.stdin.buffer
    while True:
        try:
            request = _receive(channel_in)
        except (EOFError, OSError):
            return
        answer = _run_one(request)
        try:
            _send(channel_out, answer)
        except (TypeError, ValueError) as exc:  # outputs that cannot travel: a bug, said so
            _send(channel_out, {"status": "failed", "reason": f"internal error in processor: {exc}"})


if __name__ == "__main__":
    main(sys.argv)
