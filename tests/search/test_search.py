"""Search over a real vault: exact places, identifiers either way, visibility, filters, semantics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from exhibits.custody.models import CustodyEventRow as CustodyEvent
from exhibits.errors import InvalidInput, NotFound
from exhibits.search.service import Filters


def refs(results) -> list[tuple[str, str | None, str]]:
    return [(h.case_ref, h.exhibit_ref, h.layer) for h in results.hits]


def test_a_spoken_word_is_found_at_its_second_in_the_video(vault, people, force):
    results = vault.search.search(people.officer, "kitchen knife", mode="keyword")
    (hit,) = results.hits
    assert (hit.case_ref, hit.exhibit_ref, hit.layer) == ("42/1001/26", force.bwv["ref"], "transcript")
    assert hit.locator["start"] == 4.5 and hit.locator["end"] == 9.0
    assert hit.link == f"/cases/{hit.case_id}/exhibits/{hit.exhibit_id}#t=4.50"
    assert results.total == 1


def test_ocr_hits_point_at_the_page_and_box(vault, people, force):
    (hit,) = vault.search.search(people.officer, "07700 900123", mode="keyword").hits
    assert hit.layer == "ocr" and hit.exhibit_ref == force.photo["ref"]
    assert hit.locator["page"] == 1 and hit.locator["box"] == [10, 10, 250, 20]
    assert hit.link.endswith("#page=1&box=10,10,250,20")
    assert hit.mime_type


def test_identifiers_are_found_with_or_without_spaces(vault, people, force):
    for query in ["AB12 CDE", "AB12CDE", "ab12cde", "ab12 cde"]:  # written spaced in the transcript
        found = {
            (h.exhibit_ref, h.layer) for h in vault.search.search(people.officer, query, mode="keyword").hits
        }
        assert (force.bwv["ref"], "transcript") in found, query
    for query in ["KM19 XYZ", "KM19XYZ", "LS14AP", "ls1 4ap", "07700900123", "+44 7700 900123"]:
        assert vault.search.search(people.officer, query, mode="keyword").total == 1, query


def test_a_spoken_registration_is_found_by_the_plate(vault, people, force):
    hits = vault.search.search(people.investigator, "AB12CDE", Filters(case=force.b), mode="keyword").hits
    assert (force.other["ref"], "transcript") in {(h.exhibit_ref, h.layer) for h in hits}


def test_only_what_the_user_may_see_is_returned_or_counted(vault, people, force):
    outsider = vault.search.search(people.outsider, "AB12CDE", mode="keyword")
    assert outsider.hits == [] and outsider.total == 0
    # The officer is on case A only: the same footage in case B is not shown to her.
    officer = vault.search.search(people.officer, "kitchen knife", mode="hybrid")
    assert {h.case_ref for h in officer.hits} == {force.a}
    # The investigator sees both cases: the shared footage appears once per case.
    both = vault.search.search(people.investigator, "kitchen knife", mode="keyword")
    assert sorted((h.case_ref, h.exhibit_ref) for h in both.hits) == [
        (force.a, force.bwv["ref"]),
        (force.b, force.shared["ref"]),
    ]
    assert both.total == 2
    with pytest.raises(NotFound):
        vault.search.search(people.outsider, "knife", Filters(case=force.a))


def test_filters(vault, people, force):
    search = vault.search.search
    user = people.investigator
    assert {h.layer for h in search(user, "AB12CDE", Filters(type="image"), mode="keyword").hits} == set()
    assert {h.exhibit_ref for h in search(user, "KM19XYZ", Filters(type="image"), mode="keyword").hits} == {
        force.photo["ref"]
    }
    assert {h.case_ref for h in search(user, "knife", Filters(producer="amir"), mode="keyword").hits} == {
        force.b
    }
    by_entity = search(user, "stopped", Filters(entity_type="vrm"), mode="keyword").hits
    assert by_entity and all("vrm" in h.text or "AB12" in h.text for h in by_entity)
    assert search(user, "stopped", Filters(entity_type="email"), mode="keyword").hits == []
    assert search(user, "body-worn", Filters(layer="metadata"), mode="keyword").hits[0].layer == "metadata"
    future = datetime(2100, 1, 1, tzinfo=UTC)
    assert search(user, "knife", Filters(date_from=future), mode="keyword").total == 0
    assert search(user, "knife", Filters(date_to=future), mode="keyword").total == 2
    with pytest.raises(InvalidInput):
        search(user, "knife", Filters(type="hologram"))


def test_case_titles_and_exhibit_descriptions_are_searched(vault, people, force):
    hits = vault.search.search(people.officer, "burglary", mode="keyword").hits
    assert [(h.layer, h.case_ref) for h in hits] == [("case", force.a)]
    hits = vault.search.search(people.officer, "statement photo", mode="keyword").hits
    assert [(h.layer, h.exhibit_ref) for h in hits] == [("metadata", force.photo["ref"])]


def test_semantic_search_finds_meaning_not_words(vault, people, force):
    blade = "the suspect Jon Smyth had a blade"
    keyword = vault.search.search(people.investigator, "knife", Filters(case=force.b), mode="keyword").hits
    semantic = vault.search.search(people.investigator, "knife", Filters(case=force.b), mode="semantic").hits
    assert blade not in [h.text for h in keyword]
    assert blade in [h.text for h in semantic[:3]]
    hybrid = vault.search.search(people.officer, "knife", mode="hybrid").hits
    assert hybrid[0].text.startswith("the driver had a kitchen knife")
    assert hybrid[0].matched_by == ["keyword", "semantic"]


def test_query_syntax_cannot_be_injected(vault, people, force):
    for query in [
        '"knife',
        "knife AND NOT",
        "NEAR(knife car)",
        "knife*",
        "'; DROP TABLE search_docs; --",
        "^",
    ]:
        vault.search.search(people.officer, query)
    assert vault.search.search(people.officer, "knife").hits


def test_each_search_is_one_consultation_event(vault, people, force):
    with vault.reading() as session:
        before = session.scalar(select(CustodyEvent.seq).order_by(CustodyEvent.seq.desc()).limit(1))
    vault.search.search(people.officer, "knife")
    with vault.reading() as session:
        actions = list(session.scalars(select(CustodyEvent.action).where(CustodyEvent.seq > before)))
    assert actions == ["search.query"]


def test_cli_search(cli, force, vault_path):
    result = cli("search", "AB12 CDE", "--mode", "keyword", "--json", user="1234")
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["total"] == 1 and data["hits"][0]["locator"]["start"] == 0.0
    table = cli("search", "kitchen knife", user="1234")
    assert table.exit_code == 0 and "0:04.50" in table.stdout
    assert cli("search", "knife", "--type", "hologram", user="1234").exit_code == 2


def test_search_optimise_has_nothing_to_build_for_a_small_index(vault, force):
    assert vault.search.optimise() is None  # and never anything on PostgreSQL, which ranks itself
