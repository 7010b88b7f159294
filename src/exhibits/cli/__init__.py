"""The ``exhibits`` command: a thin adapter over the same services as the API.

Each capability adds its commands through the ``exhibits_cli`` hook; a capability's command
module is imported only when one of its commands runs (``exhibits.cli.app``), so that a
command pays for the imports it needs and no others. Errors are one line on standard error
and a non-zero exit status, never a traceback (set EXHIBITS_DEBUG=1 to see one).
"""

from __future__ import annotations

import atexit
import gc
import sys

# Start-up imports some 700 modules: hundreds of thousands of objects that live as long as
# the process. With the default thresholds the cyclic collector scans them again and again
# while they are created, and once more at exit, about a fifth of a short command's CPU.
# It collects rarely until the vault is open (``exhibits.cli.common.started``), and not at
# exit (the objects left then are freed with the process; files and the vault are closed
# before). Collection is unchanged for the rest of a command.
STARTUP_THRESHOLDS = (100_000, 50, 100)
_tuned: tuple[int, int, int] | None = None


def main() -> None:
    global _tuned
    if _tuned is None:
        _tuned = gc.get_threshold()
        gc.set_threshold(*STARTUP_THRESHOLDS)
        atexit.register(gc.freeze)  # registered first, so it runs after every other handler
    from exhibits.cli.ahead import stage_ahead

    stage_ahead(sys.argv[1:])  # a large file to add starts copying before the parser loads
    from exhibits.cli.app import main as run

    run()


def started() -> None:
    """Start-up is over (the vault is open): collect garbage as usual from now on."""
    if _tuned is not None and gc.get_threshold() == STARTUP_THRESHOLDS:
        gc.set_threshold(*_tuned)
