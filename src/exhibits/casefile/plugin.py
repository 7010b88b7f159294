"""Case file, disclosure, sharing, retention and bundles as a built-in plugin."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.casefile import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.casefile.cli import register

    register(app)


@hookimpl
def exhibits_verify(vault, report) -> None:
    """Every stored version of a form record still hashes to what was logged and signed."""
    from exhibits.casefile.integrity import check_records

    check_records(vault, report)


@hookimpl
def exhibits_verify_actions():
    from exhibits.casefile.integrity import RECORD_ACTIONS

    return RECORD_ACTIONS


@hookimpl
def exhibits_api(app) -> None:
    """The case file's routes; each declares its permission (see exhibits.casefile.api)."""
    from exhibits.casefile.api import router
    from exhibits.web.api import PROBLEM_RESPONSES

    app.include_router(router, responses=PROBLEM_RESPONSES)


@hookimpl
def exhibits_case_grants(session, user_id, roles, case_id):
    """What an external partner's active share of the case lets them do."""
    from exhibits.casefile.access import share_permissions

    return share_permissions(session, user_id, roles, case_id)
