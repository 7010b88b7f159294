"""An ingest's temporary file left by a process that died is removed when the worker is idle;
a recent one (an ingest still copying) is left alone."""

from __future__ import annotations

import os
import time

from exhibits.evidence.plugin import ABANDONED_INGEST_SECONDS
from exhibits.processing.worker import EmbeddedWorker


def test_the_idle_worker_removes_abandoned_ingest_files(vault):
    tmp = vault.settings.tmp_dir
    tmp.mkdir(parents=True, exist_ok=True)
    abandoned, copying = tmp / "ingest-abandoned", tmp / "ingest-copying"
    for path in (abandoned, copying):
        path.write_bytes(b"partial bytes")
    old = time.time() - ABANDONED_INGEST_SECONDS - 60
    os.utime(abandoned, (old, old))

    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()

    assert not abandoned.exists() and copying.exists()
