"""Processors that misbehave on purpose, to show that a worker survives them.

They live in an importable module because processors run in a separate runner process,
which imports them by name."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from exhibits.processing.processor import Context, Derivative, Processor, Result


class Sleeper(Processor):
    name = "test-sleeper"
    version = "1"
    accepts = ("text/plain",)
    timeout_seconds = 2

    def run(self, ctx: Context) -> Result:
        time.sleep(60)
        return Result()


class Hog(Processor):
    name = "test-hog"
    version = "1"
    accepts = ("text/plain",)
    memory_limit_mb = 300

    def run(self, ctx: Context) -> Result:
        hoard = [bytearray(64 * 2**20) for _ in range(64)]  # 4 GiB, far past the limit
        return Result(facts={"size": len(hoard)})


class Crasher(Processor):
    name = "test-crasher"
    version = "1"
    accepts = ("text/plain",)

    def run(self, ctx: Context) -> Result:
        os.kill(os.getpid(), signal.SIGSEGV)
        return Result()


class Buggy(Processor):
    name = "test-buggy"
    version = "1"
    accepts = ("text/plain",)

    def run(self, ctx: Context) -> Result:
        raise ValueError("a bug in the processor")


class Escaper(Processor):
    name = "test-escaper"
    version = "1"
    accepts = ("text/plain",)

    def run(self, ctx: Context) -> Result:
        return Result(derivatives=[Derivative("secret", ctx.workdir / ".." / ".." / "input", "text/plain")])


class Gate(Processor):
    """Says it has started (a file in $EXHIBITS_TEST_GATE), then waits for the gate to open
    (a file named ``open`` there): a test can act while a job is certainly running."""

    name = "test-gate"
    version = "1"
    accepts = ("text/plain",)

    def run(self, ctx: Context) -> Result:
        folder = Path(os.environ["EXHIBITS_TEST_GATE"])
        (folder / f"started-{ctx.sha256}").touch()
        deadline = time.monotonic() + 60
        while not (folder / "open").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return Result(facts={"gate": "passed"})


class Sketcher(Processor):
    """Makes one derivative with a long label and facts of its own, for a dependant."""

    name = "test-sketcher"
    version = "1"
    accepts = ("text/plain",)

    def run(self, ctx: Context) -> Result:
        sketch = ctx.workdir / "sketch.txt"
        sketch.write_text(ctx.input_path.read_text().upper())
        label = "sketch " + "x" * 300  # longer than a derivative's row keeps
        derivative = Derivative("sketch", sketch, "text/plain", label, {"lines": 1, "tags": ["a", "b"]})
        return Result(facts={"words": len(ctx.input_path.read_text().split())}, derivatives=[derivative])


class Tracer(Processor):
    """Keeps, as its facts, exactly what it was given of the sketcher's outputs."""

    name = "test-tracer"
    version = "1"
    accepts = ("text/plain",)
    depends_on = ("test-sketcher",)

    def run(self, ctx: Context) -> Result:
        given = [
            {
                "kind": d.kind,
                "label": d.label,
                "mime_type": d.mime_type,
                "facts": d.facts,
                "text": path.read_text(),
            }
            for d, path in ctx.dependency_derivatives["test-sketcher"]
        ]
        return Result(facts={"facts": ctx.dependency_facts["test-sketcher"], "derivatives": given})
