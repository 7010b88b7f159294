"""Portal fixtures: a real dashcam clip (made by ffmpeg) and a case with an officer in charge."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.web.conftest import live_server  # noqa: F401  (the app under uvicorn, for test_api)
from tests.webui.conftest import *  # noqa: F403  (site, sign_in, browser fixtures, for the pages)


@pytest.fixture(scope="session")
def dashcam_clip(tmp_path_factory) -> Path:
    """Two seconds of H.264 in MP4, as a dashcam writes it."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed: run scripts/system-packages test")
    path = tmp_path_factory.mktemp("clips") / "dashcam.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=15",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture
def portal(vault):
    from exhibits.portal.plugin import portal as portal_of

    return portal_of(vault)


@pytest.fixture
def case(vault, people):
    return vault.evidence.create_case(people.officer, "42/7001/26", "Dangerous driving on the A470")


DASHCAM_ANSWERS = {
    "offence_date": (date.today() - timedelta(days=2)).isoformat(),
    "offence_time": "08:15",
    "location": "A470 northbound, Merthyr Tydfil",
    "vrm": "ab12 cde",
    "vehicle": "Blue Ford Focus",
    "account": "The car overtook on a blind bend and forced an oncoming van onto the verge.",
}
SUBMITTER = {"name": "Sam Driver", "email": "Sam.Driver@example.org", "phone": "020 7946 0958"}
DECLARATION = {
    "true_statement": True,
    "over_18": True,
    "signature": "sam  driver",
    "willing_to_attend_court": True,
}


@pytest.fixture
def app(vault):
    from exhibits.web.app import create_app

    return create_app(vault)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def officer_headers(vault, people):
    from datetime import timedelta

    _, secret = vault.access.tokens.create(people.officer, name="test", expires_in=timedelta(days=1))
    return {"Authorization": f"Bearer {secret}"}
