"""The portal's pages in-process: an officer makes a request link, a member of the public
answers in Welsh or English, sends a file and signs the declaration, and an officer accepts it."""

from __future__ import annotations

import hashlib
import io
import re

from tests.portal.conftest import DASHCAM_ANSWERS, SUBMITTER
from tests.webui.conftest import csrf_of


def test_request_answer_submit_and_accept_through_the_pages(
    site_client, sign_in, vault, people, case, dashcam_clip
):
    from exhibits.portal.plugin import portal

    officer = sign_in("1234")
    form = officer.get(f"/portal/requests/new?case={case.id}")
    assert form.status_code == 200
    made = officer.post(
        "/portal/requests",
        data={"csrf_token": csrf_of(form.text), "case": case.id, "appeal": "", "form": "dashcam"},
    )
    assert made.status_code == 200, made.text
    link = re.search(r'id="request-link" href="http://testserver(/portal/s/[^"]+)"', made.text).group(1)
    token = link.rsplit("/", 1)[1]

    public = site_client
    welsh = public.get(link + "?lang=cy")
    assert welsh.status_code == 200 and 'lang="cy"' in welsh.text
    assert "Amdanoch chi" in welsh.text  # "About you"
    assert welsh.headers["cache-control"] == "no-store"
    english = public.get(link + "?lang=en")
    assert "About you" in english.text

    wrong = public.post(f"{link}/details", data={**SUBMITTER, **DASHCAM_ANSWERS, "vrm": "!!"})
    assert wrong.status_code == 422 and 'href="#f-vrm"' in wrong.text
    saved = public.post(f"{link}/details", data={**SUBMITTER, **DASHCAM_ANSWERS})
    assert saved.status_code == 303

    data = dashcam_clip.read_bytes()  # the page sends files with tus-js-client; here, the service
    service = portal(vault)
    view = service.create_file(token, len(data), "dashcam.mp4")
    service.append(token, view.id, 0, io.BytesIO(data))
    page = public.get(link)
    assert hashlib.sha256(data).hexdigest() in page.text

    refused = public.post(
        f"{link}/submit", data={"true_statement": "yes", "over_18": "yes", "signature": "Someone"}
    )
    assert refused.status_code == 422
    receipt = public.post(
        f"{link}/submit",
        data={"true_statement": "yes", "over_18": "yes", "signature": "Sam Driver", "court": "yes"},
    )
    assert receipt.status_code == 200, receipt.text
    assert hashlib.sha256(data).hexdigest() in receipt.text
    assert public.get(link).status_code == 404

    queue = officer.get("/portal/triage")
    assert queue.status_code == 200
    item = re.search(r'href="(/portal/triage/[0-9a-f]{32})"', queue.text).group(1)
    detail = officer.get(item)
    assert "AB12CDE" in detail.text and "days left" in detail.text
    accepted = officer.post(f"{item}/accept", data={"csrf_token": csrf_of(detail.text), "case": ""})
    assert accepted.status_code == 303
    after = officer.get(item)
    assert "SD/1" in after.text and "MG11" in after.text
    _, exhibits = vault.evidence.list_exhibits(people.officer, case.id)
    assert exhibits[0].sha256 == hashlib.sha256(data).hexdigest()


def test_a_short_code_leads_to_the_submission(site_client, vault, people, case):
    from exhibits.portal.plugin import portal

    _, _, code = portal(vault).create_request(people.officer, case=case.id)
    start = site_client.get("/portal")
    assert start.status_code == 200
    bad = site_client.post("/portal/code", data={"code": "AAAAA-AAAAA"})
    assert bad.status_code == 404 and 'role="alert"' in bad.text
    good = site_client.post("/portal/code", data={"code": code})
    assert good.status_code == 303 and good.headers["location"].startswith("/portal/s/pub_")


def test_the_triage_page_needs_a_signed_in_officer(site_client):
    answer = site_client.get("/portal/triage")
    assert answer.status_code == 303 and "/signin" in answer.headers["location"]
