"""External tools run bounded and tied to the process that started them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from exhibits.processing.processor import ProcessingFailed
from exhibits.processing.tools import run_tool, tied_to_parent


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_a_tool_dies_with_the_process_that_started_it(tmp_path: Path):
    """A runner killed mid-job leaves no tool running; and the tie is made without Python
    code in the forked child, so a multi-threaded parent (here: busy threads) cannot hang."""
    assert tied_to_parent(), "util-linux's setpriv is missing (scripts/system-packages installs it)"
    pid_file = tmp_path / "tool.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import threading
                from exhibits.processing.tools import run_tool
                def busy():
                    while True:
                        [bytearray(4096) for _ in range(100)]
                for _ in range(4):
                    threading.Thread(target=busy, daemon=True).start()
                run_tool(["sh", "-c", "echo $$ > {pid_file}; exec sleep 60"], timeout=120, what="sleep")
                """
            ),
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    tool = int(pid_file.read_text())
    assert _alive(tool)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(tool) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(tool)


def test_a_failing_tool_is_explained():
    with pytest.raises(ProcessingFailed, match="listing failed"):
        run_tool(["ls", "/no/such/place"], timeout=30, what="listing")


def test_a_tool_past_its_time_is_stopped():
    with pytest.raises(ProcessingFailed, match="timed out: sleeping still running"):
        run_tool(["sleep", "5"], timeout=0.5, what="sleeping")
