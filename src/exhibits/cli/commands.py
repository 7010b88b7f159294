"""The built-in commands by name: the plugin that adds each one, and its one-line help.

``exhibits --help`` lists commands from this table, and running a command imports only the
plugin that adds it, so start-up does not import every capability. Keep it in step with the
commands themselves: ``tests/cli/test_lazy_commands.py`` loads every built-in plugin's real
commands and fails on any difference in names, owners or help.
"""

from __future__ import annotations

EVIDENCE = "exhibits.evidence.plugin"
CUSTODY = "exhibits.custody.plugin"
ACCESS = "exhibits.access.plugin"
ANALYSIS = "exhibits.analysis.plugin"
SEARCH = "exhibits.search.plugin"
REDACTION = "exhibits.redaction.plugin"
CASEFILE = "exhibits.casefile.plugin"
PORTAL = "exhibits.portal.plugin"
WEB = "exhibits.web.plugin"
PROCESSING = "exhibits.processing.plugin"

# name: (plugin, first paragraph of the command's help), in the order ``--help`` lists them
BUILTIN_COMMANDS: dict[str, tuple[str, str]] = {
    "add": (
        EVIDENCE,
        "Ingest files: hashed, stored content-addressed and logged, as exhibits or unassigned media.",
    ),
    "attach": (EVIDENCE, "Make unassigned media an exhibit of a case."),
    "ls": (EVIDENCE, "The exhibits of a case: references, sizes, SHA-256 and types."),
    "media": (EVIDENCE, "Media ingested before any case (and still unassigned)."),
    "case": (EVIDENCE, "Cases: create, list, show, assign people."),
    "demo": (CUSTODY, "Create a small demonstration case (DEMO/0001/26) with three exhibits."),
    "init": (CUSTODY, "Create a vault: data directory, database, signing key and first administrator."),
    "upgrade": (
        CUSTODY,
        "Bring the vault's database up to this version of Exhibits (apply pending migrations).",
    ),
    "verify": (CUSTODY, "Re-hash every blob and recompute the whole log. Exit status 10 on any tampering."),
    "checkpoint": (CUSTODY, "Sign a checkpoint of the log now, to hold outside the vault."),
    "backup": (CUSTODY, "Make a consistent copy of database, blobs and checkpoint."),
    "restore": (
        CUSTODY,
        "Restore a backup into a new vault directory; run 'exhibits verify' on it afterwards.",
    ),
    "log": (CUSTODY, "The custody trail of one exhibit, or the continuity trail of a case."),
    "proof": (CUSTODY, "Inclusion proof of one event in the latest signed checkpoint (JSON)."),
    "key": (CUSTODY, "The log's signing key."),
    "audit": (ACCESS, "The custody log as auditors ask it: who saw an exhibit, what a person did, a period."),
    "user": (ACCESS, "User accounts."),
    "token": (ACCESS, "Personal API tokens for scripts and devices."),
    "transcript": (ANALYSIS, "Transcripts of recordings: show, export, correct."),
    "entities": (ANALYSIS, "Entities found in an exhibit: show, correct."),
    "search": (
        SEARCH,
        "Search everything you may see: case titles, exhibit descriptions, transcripts, OCR, documents.",
    ),
    "links": (
        SEARCH,
        "Other cases you may see where this case's people, vehicles, numbers or footage also appear.",
    ),
    "link": (SEARCH, "Confirm or reject a suggested link between two cases."),
    "search-optimise": (
        SEARCH,
        "Build the search index's lists of frequent words (SQLite; the worker does it when idle).",
    ),
    "get": (
        REDACTION,
        "Write an original or a derivative (such as a redacted copy) to a file, hash-checked and logged.",
    ),
    "redact": (REDACTION, "Redaction sets: propose, review, adjust and render."),
    "bundle": (CASEFILE, "Export an open, verifiable bundle (BagIt + CASE/UCO + custody proofs)."),
    "verify-bundle": (
        CASEFILE,
        "Check a bundle: every hash, the custody proofs, and the checkpoint's signature.",
    ),
    "import-bundle": (CASEFILE, "Create a case from another force's bundle, keeping provenance and history."),
    "form": (CASEFILE, "Case file forms (MG5, MG6D/E, MG11, SDC) and people on a case."),
    "unused": (CASEFILE, "The unused material register (MG6C, MG6D) and prosecutor decisions."),
    "share": (CASEFILE, "Share material with a prosecutor or defence lawyer; the partner's view."),
    "retention": (CASEFILE, "Retention review, holds, decisions and disposal."),
    "portal": (PORTAL, "The public evidence portal."),
    "serve": (WEB, "Run the API and web server (one HTTP worker, plus the job workers at lower priority)."),
    "worker": (PROCESSING, "Process jobs: embedded (from the database) or as a Celery worker on the broker."),
    "jobs": (
        PROCESSING,
        "Processing jobs: what ran on which content, how long it took, and why anything failed.",
    ),
    "processing": (PROCESSING, "What processing found out about one exhibit: jobs, facts and derivatives."),
    "reprocess": (PROCESSING, "Plan jobs for new processor versions or parameters (old outputs are kept)."),
    "clip": (
        PROCESSING,
        "Cut a clip from a video exhibit: a new exhibit recording its parent, times and tool.",
    ),
    "still": (
        PROCESSING,
        "Take a still (lossless PNG) from a video exhibit: a new exhibit recording its parent.",
    ),
}
