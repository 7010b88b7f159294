"""Extension points. Built-in capabilities use them exactly as a force's own plugin would.

A plugin is a module (or object) with functions marked ``@hookimpl`` named as below.
Built-ins are listed in ``DEFAULT_PLUGINS``; others are found through the ``exhibits``
entry-point group.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("exhibits")
hookimpl = pluggy.HookimplMarker("exhibits")

# Built-in capabilities, each registering its CLI commands, routes, models and reactions.
DEFAULT_PLUGINS = [
    "exhibits.evidence.plugin",
    "exhibits.custody.plugin",
    "exhibits.access.plugin",
    "exhibits.analysis.plugin",
    "exhibits.search.plugin",
    "exhibits.redaction.plugin",
    "exhibits.casefile.plugin",
    "exhibits.portal.plugin",
    "exhibits.web.plugin",
    "exhibits.webui.plugin",
    "exhibits.processing.plugin",
]


class Specs:
    @hookspec
    def exhibits_models(self) -> Any:
        """Import and return the module(s) defining this plugin's tables."""

    @hookspec
    def exhibits_cli(self, app: Any) -> None:
        """Add Typer commands or sub-applications to the ``exhibits`` command."""

    @hookspec
    def exhibits_api(self, app: Any) -> None:
        """Add routes to the FastAPI application."""

    @hookspec
    def exhibits_content_added(self, ctx: Any, vault: Any, media: Any, exhibit: Any) -> None:
        """Content became media or an exhibit; runs inside the same transaction (outbox)."""

    @hookspec
    def exhibits_prepare_ingest(self, vault: Any) -> None:
        """Content is about to be ingested in this process: load now (imports, caches) what
        ``exhibits_content_added`` will need, so that the unit of work recording it stays
        short (and, for a file staged ahead, the loading overlaps the copy)."""

    @hookspec
    def exhibits_verify(self, vault: Any, report: Any) -> None:
        """Add checks to ``exhibits verify``; record problems on the report."""

    @hookspec
    def exhibits_verify_actions(self) -> Any:
        """Return the custody actions whose leaves this plugin's ``exhibits_verify`` reads.

        The log pass of ``exhibits verify`` (which re-hashes every leaf anyway) collects them
        into ``report.log.leaves[action]`` as (seq, leaf bytes) in log order, so that a check
        need not scan the events table itself."""

    @hookspec
    def exhibits_vault_opened(self, vault: Any) -> None:
        """A vault was opened in this process (start background services, caches)."""

    @hookspec
    def exhibits_processors(self) -> Any:
        """Return a list of Processor classes (exhibits.processing.processor) to run on content."""

    @hookspec
    def exhibits_processed(self, ctx: Any, vault: Any, processed: Any) -> None:
        """Processors finished on some content: ``processed`` lists their results
        (exhibits.processing.processor.Processed) in the order the jobs were recorded, all
        those of one unit of work at once. Runs inside that unit (e.g. to update the search
        index in the same transaction); handling them in list order must give what handling
        them one by one would."""

    @hookspec
    def exhibits_derivatives(self, vault: Any, session: Any, exhibit_ids: Any) -> Any:
        """Return derivatives (exhibits.casefile.derivatives.DerivativeInfo) of these exhibits'
        content: proxies, transcripts, redacted copies with the purpose they were made for."""

    @hookspec(firstresult=True)
    def exhibits_derivative(self, session: Any, parent_sha256: str, sha256: str) -> Any:
        """If ``sha256`` is content derived (directly or not) from ``parent_sha256``, return
        ``{"kind": ..., "mime_type": ...}``; else None. Lets people open derivatives."""

    @hookspec
    def exhibits_case_grants(self, session: Any, user_id: str, roles: Any, case_id: str) -> Any:
        """Case-scoped permissions a person holds other than by assignment (a partner's active
        share of the case), as an iterable of Permission; consulted by access.policy."""

    @hookspec
    def exhibits_pages(self, site: Any) -> None:
        """Add HTML pages to the web app: ``site`` is the pages' FastAPI app (``site.state.vault``,
        ``site.state.templates``); call ``site.include_router(router)`` (see webui/CONTRACT.md)."""

    @hookspec
    def exhibits_idle(self, vault: Any) -> None:
        """The embedded worker has no job to run: housekeeping that can wait for a quiet moment
        (e.g. rebuilding an index). Called at most once a minute, from one worker thread."""

    @hookspec
    def exhibits_workers(self, vault: Any) -> Any:
        """Return a list of background workers for ``exhibits serve`` to run beside the HTTP
        server, each as the arguments of an ``exhibits`` command (e.g. ``["worker"]``)."""


@cache
def plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("exhibits")
    manager.add_hookspecs(Specs)
    for name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    manager.load_setuptools_entrypoints("exhibits")
    return manager


def load_all_models() -> None:
    """Import every plugin's tables so that Base.metadata is complete."""
    plugin_manager().hook.exhibits_models()
