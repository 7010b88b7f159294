"""Fault injection for crash tests.

``EXHIBITS_FAULT=ingest.renamed`` makes the process SIGKILL itself when it reaches that
named point, exactly as a power cut or an OOM kill would. Production code calls
``fault_point`` at each step whose interruption must be survivable; with the variable
unset the call is a dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "EXHIBITS_FAULT"


def fault_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
