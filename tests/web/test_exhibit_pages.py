"""Pages of a case's exhibits over HTTP: the answer is exactly ``Page[ExhibitOut]`` of what the
evidence service reads; the caller is identified and authorised (in the same worker call and
read session as the read) before anything is read or even the cursor looked at; each answered page
is one durable consultation event."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from exhibits.evidence import queries
from exhibits.evidence.service import IngestRequest
from exhibits.web.api.schemas import ExhibitOut, Page
from exhibits.web.pagination import encode_cursor
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def case(vault, people):
    case = vault.evidence.create_case(people.officer, "42/19283/26", "Burglary, 14 High Street")
    vault.users.assign(people.officer, case.id, "2345", "investigator")
    ingest = vault.evidence.ingest_stream
    ingest(
        people.officer, io.BytesIO(b"plain"), "note.txt",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
    )  # fmt: skip
    ingest(
        people.officer, io.BytesIO(b"\x00video bytes"), "Caf\u00e9 \u202e\"quoted\".mp4",
        IngestRequest(
            case=case.id, producer="PC 1234 Jane Smith", source="bwv",
            captured_at=datetime(2026, 3, 1, 9, 30, 0, 0, tzinfo=UTC), clock_offset=-2.5,
        ),
    )  # fmt: skip
    ingest(
        people.officer, io.BytesIO(b"third"), "third.txt",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith", captured_at=datetime(2026, 3, 2, tzinfo=UTC)),
    )  # fmt: skip
    return case


def expected_page(vault, principal, case_id: str, **kwargs) -> dict:
    """What the evidence service's page gives, through the declared response model."""
    views, nxt = queries.page_exhibits(vault, principal, case_id, **kwargs)
    return (
        Page[ExhibitOut]
        .model_validate(
            {
                "items": [v.as_dict() for v in views],
                "next_cursor": encode_cursor(*nxt) if nxt else None,
                "limit": kwargs["limit"],
            }
        )
        .model_dump(mode="json")
    )


def test_a_page_is_the_declared_model_of_what_the_service_reads(client, vault, people, case, token_of):
    oic = token_of(people.officer)
    url = f"/api/v1/cases/{case.id}/exhibits"
    first = client.get(url, params={"limit": 2}, headers=oic)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.json() == expected_page(vault, people.officer, case.id, limit=2)
    items = first.json()["items"]
    assert [type(items[1][k]) for k in ("restricted", "size", "clock_offset_seconds", "captured_at")] == [
        bool, int, float, str,
    ]  # fmt: skip
    assert items[1]["captured_at"] == "2026-03-01T09:30:00.000000Z"
    assert items[1]["original_name"] == 'Caf\u00e9 \u202e"quoted".mp4'

    cursor = first.json()["next_cursor"]
    second = client.get(url, params={"limit": 2, "cursor": cursor}, headers=oic)
    assert second.json()["items"][0]["captured_at"] == "2026-03-02T00:00:00.000000Z"
    assert second.json()["next_cursor"] is None
    rest = expected_page(vault, people.officer, case.id, limit=2, cursor=tuple(_decoded(cursor)))
    assert second.json() == rest
    for params in ({"source": "bwv"}, {"mime_type": "text/"}, {"limit": 1}):
        shown = client.get(url, params=params, headers=oic).json()
        assert shown == expected_page(vault, people.officer, case.id, limit=params.get("limit", 50), **{
            k: v for k, v in params.items() if k != "limit"
        })  # fmt: skip


def test_page_times_are_written_as_custody_leaves_write_them():
    """Whatever a time's microseconds (none included), year or zone, the page writes it as
    ``iso_utc`` does: UTC, six digits of microseconds, a Z."""
    from exhibits.clock import iso_utc
    from exhibits.web.api.exhibits import EXHIBIT_FIELDS, page_json

    times = [
        datetime(2026, 3, 1, 9, 30, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 30, 0, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 30, 0, 250, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 1, 9, 30, 0, 250),  # naive: taken as UTC, as iso_utc takes it
    ]
    rows = []
    for moment in times:
        row = dict.fromkeys(EXHIBIT_FIELDS, "x") | {
            "restricted": False,
            "size": 1,
            "clock_offset_seconds": 0.0,
        }
        rows.append(tuple((row | {"created_at": moment, "captured_at": moment}).values()))
    items = orjson.loads(page_json(rows, False, 50))["items"]
    assert [(i["created_at"], i["captured_at"]) for i in items] == [(iso_utc(t), iso_utc(t)) for t in times]
    assert items[0]["created_at"] == "2026-03-01T09:30:00.000000Z"


def _decoded(cursor: str) -> list:
    from exhibits.web.pagination import decode_cursor

    return decode_cursor(cursor, (str, str)) or []


def test_each_page_answered_is_one_durable_consultation(client, people, case, token_of, event_count):
    oic = token_of(people.officer)
    url = f"/api/v1/cases/{case.id}/exhibits"
    for n in range(1, 4):
        assert client.get(url, params={"limit": 1}, headers=oic).status_code == 200
        # Counted on a fresh read session after the answer: committed before it was sent.
        assert event_count(action="exhibit.list", event_class="consultation") == n


def test_the_caller_is_checked_before_the_cursor_or_anything_else(
    client, people, case, token_of, event_count
):
    url = f"/api/v1/cases/{case.id}/exhibits"
    not_a_cursor = "AAAA"  # passes the query's shape, is no cursor of ours
    before = event_count(action="exhibit.list")
    outsider = client.get(url, params={"cursor": not_a_cursor}, headers=token_of(people.outsider))
    assert outsider.status_code == 404  # not 422: nobody learns anything of a case not theirs
    nobody = client.get(url, params={"cursor": not_a_cursor}, headers={"Authorization": "Bearer exh_nope"})
    assert nobody.status_code == 401
    assert client.get(url, params={"cursor": not_a_cursor}).status_code == 401
    mine = client.get(url, params={"cursor": not_a_cursor}, headers=token_of(people.officer))
    assert mine.status_code == 422  # the case's own officer is told the cursor is wrong
    assert event_count(action="exhibit.list") == before  # no page was read, none logged


def test_revoking_a_token_or_an_assignment_takes_effect_on_the_next_page(
    client, vault, people, case, token_of
):
    url = f"/api/v1/cases/{case.id}/exhibits"
    mine = token_of(people.officer)
    phone = client.post("/api/v1/tokens", json={"name": "phone", "expires_in_days": 7}, headers=mine).json()
    headers = {"Authorization": f"Bearer {phone['token']}"}
    assert client.get(url, headers=headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{phone['id']}", headers=mine).status_code == 204
    revoked = client.get(url, headers=headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]

    investigator = token_of(people.investigator)
    assert client.get(url, headers=investigator).status_code == 200
    assignments = client.get(f"/api/v1/cases/{case.id}/assignments", headers=mine).json()
    (theirs,) = [a for a in assignments if a["collar"] == "2345"]
    assert (
        client.delete(f"/api/v1/cases/{case.id}/assignments/{theirs['id']}", headers=mine).status_code == 204
    )
    assert client.get(url, headers=investigator).status_code == 404


def test_a_signed_in_browser_reads_pages_with_its_session_cookie(client, vault, people, case, event_count):
    signed_in = client.post("/api/v1/auth/login", json={"collar": "2345", "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 200
    page = client.get(f"/api/v1/cases/{case.id}/exhibits")
    assert page.status_code == 200
    assert page.json() == expected_page(vault, people.investigator, case.id, limit=50)
    assert event_count(action="exhibit.list") == 2  # the API's, and expected_page's own
    other = vault.evidence.create_case(people.officer, "42/77/26", "Another case")
    assert client.get(f"/api/v1/cases/{other.id}/exhibits").status_code == 404


def test_a_waiter_that_gives_up_leaves_the_consultation_and_the_writer_alone(
    vault, people, case, event_count
):
    """A request cancelled while it waits for its consultation (the client went away): the
    event is still made durable, and the writer goes on serving everyone else."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def give_up() -> None:
        waiting = asyncio.ensure_future(
            asyncio.wrap_future(vault.consulting(people.officer, "exhibit.list", case_id=case.id))
        )
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    before = event_count(action="exhibit.list")
    for _ in range(5):  # each on its own thread and event loop, as a server's requests are
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, give_up()).result()
    vault.consulted(people.officer, "exhibit.list", case_id=case.id)  # returns once durable
    assert event_count(action="exhibit.list") == before + 6
