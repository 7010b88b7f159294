"""Analysis as a built-in plugin: its processors, tables, commands and the record of outputs."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.analysis import models

    return models


@hookimpl
def exhibits_processors():
    from exhibits.analysis.entities.processor import EntityProcessor
    from exhibits.analysis.ocr import OcrProcessor
    from exhibits.analysis.transcription import TranscriptionProcessor

    return [TranscriptionProcessor, OcrProcessor, EntityProcessor]


@hookimpl
def exhibits_processed(ctx, vault, processed) -> None:
    """Keep the outputs analysis and search use, and index them, in the pipeline's unit of work."""
    vault.analysis.record_results(ctx, processed)


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.analysis.cli import register

    register(app)
