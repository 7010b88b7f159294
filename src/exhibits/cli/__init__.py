"""The ``exhibits`` command: a thin adapter over the same services as the API.

Each capability adds its commands through the ``exhibits_cli`` hook; a capability's command
module is imported only when one of its commands runs (``exhibits.cli.app``), so that a
command pays for the imports it needs and no others. Errors are one line on standard error
and a non-zero exit status, never a traceback (set EXHIBITS_DEBUG=1 to see one).
"""

from __future__ import annotations


def main() -> None:
    from exhibits.cli.app import main as run

    run()
