"""The licence gate: GPL and AGPL are refused among runtime dependencies, LGPL and permissive pass."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_licences.py"
spec = importlib.util.spec_from_file_location("check_licences", SCRIPT)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


@pytest.mark.parametrize(
    "licence, refused",
    [
        ("MIT", False),
        ("Apache-2.0 OR BSD-3-Clause", False),
        ("LGPL-3.0-only", False),
        ("GNU Lesser General Public License v3 (LGPLv3)", False),
        ("GPL-3.0-or-later", True),
        ("AGPL-3.0-only", True),
        ("GNU Affero General Public License v3", True),
        ("GNU General Public License v2 (GPLv2)", True),
        ("GPL-2.0-only OR MIT", False),
        ("MPL-2.0 AND (Apache-2.0 OR MIT)", False),
    ],
)
def test_copyleft_detection(licence, refused):
    assert check.is_copyleft(licence) is refused


def test_the_installed_runtime_dependencies_pass():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sqlalchemy" in result.stdout.lower()


def test_copyleft_libraries_inside_wheels_are_found():
    from importlib import metadata

    found = check.bundled_copyleft(metadata.distribution("av"))
    assert any(item.startswith("libx264") for item in found)
    assert "av" in check.REVIEWED_BUNDLES  # reviewed by hand, with its reason written down
    assert check.bundled_copyleft(metadata.distribution("sqlalchemy")) == []
