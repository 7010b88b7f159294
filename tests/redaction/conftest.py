"""Fixtures for redaction: a case with an officer in charge, and a way to add real files to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

CASE = "42/55501/26"


@dataclass
class CaseFiles:
    vault: object
    officer: object
    case: str
    tmp: Path

    def add(self, path: Path) -> str:
        """Ingest a file as an exhibit produced by the officer; returns its reference."""
        from exhibits.evidence.service import IngestRequest

        request = IngestRequest(case=self.case, producer="PC 1234 Jane Smith", source="bwv")
        (outcome,) = self.vault.evidence.ingest_paths(self.officer, [path], request)
        return outcome.ref


@pytest.fixture
def case_files(vault, people, tmp_path) -> CaseFiles:
    vault.evidence.create_case(people.officer, CASE, "Assault, Market Square")
    return CaseFiles(vault, people.officer, CASE, tmp_path)
