"""Results recorded as a batch: the pipeline tells plugins of a whole recording unit's results
at once (``exhibits_processed``), and analysis keeps and indexes them with statements per
batch. What it keeps must be exactly what keeping them one by one, in order, would."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from exhibits.analysis.entities.processor import EntityProcessor
from exhibits.analysis.models import AnalysisResult
from exhibits.analysis.ocr import OcrProcessor
from exhibits.analysis.transcription import TranscriptionProcessor
from exhibits.processing.media.probe import MediaProbe
from exhibits.processing.processor import Processed, Result
from exhibits.search.models import EntityOccurrence, SearchDoc, SearchTermStat, SearchTermTop, SearchVector
from tests.search.conftest import transcript

# New words, and words the force's docs already hold (frequent tokens with champion lists).
WORDS = ["harbour", "lantern", "violet", "ledger", "quarry", "KM19XYZ", "Smith", "knife", "street"]


def ocr(*lines: str) -> dict:
    """One page, a line of words each, with the offsets OCR gives them in the page's text."""
    words, at = [], 0
    for number, line in enumerate(lines):
        for word in line.split():
            box = [10 + 60 * len(words), 10 + 40 * number, 50, 20]
            words.append(
                {"text": word, "box": box, "line": number, "char_start": at, "char_end": at + len(word)}
            )
            at += len(word) + 1
    return {"pages": [{"page": 1, "dpi": 300, "text": " ".join(lines), "words": words}]}


def plate(value: str, layer: str, *, char_start: int = 0, char_end: int = 7) -> dict:
    """A vehicle registration found on the OCR page (1) or in the transcript's first segment."""
    place = {"page": 1} if layer == "ocr" else {"segment": 0}
    source = {"layer": layer, **place, "char_start": char_start, "char_end": char_end}
    return {"type": "vrm", "value": value, "text": value, "source": source}


def record(vault, *items: tuple[str, object, Result]) -> list:
    """One recording unit's results, as the pipeline hands them over."""
    processed = [Processed(sha256, processor, result) for sha256, processor, result in items]
    return vault.write(lambda ctx: vault.analysis.record_results(ctx, processed))


def found(vault, principal, query: str) -> set[tuple[str, str]]:
    return {(h.exhibit_ref, h.layer) for h in vault.search.search(principal, query, mode="keyword").hits}


def count(vault, model) -> int:
    with vault.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_batch_of_ocr_and_entities_for_several_contents_is_searchable(vault, people, force):
    photo, bwv, other = force.photo["sha256"], force.bwv["sha256"], force.other["sha256"]
    record(
        vault,
        (photo, OcrProcessor, Result(ocr("harbour lantern", "KM19XYZ"), params={"run": "2"})),
        (other, TranscriptionProcessor, Result(transcript((0.0, 3.0, "violet ledger")), params={"run": "2"})),
        (
            photo,
            EntityProcessor,
            Result({"entities": [plate("KM19XYZ", "ocr", char_start=16, char_end=23)]}, params={"run": "2"}),
        ),
        (bwv, OcrProcessor, Result(ocr("quarry"), params={"run": "2"})),
    )
    assert found(vault, people.officer, "harbour lantern") == {(force.photo["ref"], "ocr")}
    assert found(vault, people.officer, "quarry") == {(force.bwv["ref"], "ocr")}
    assert found(vault, people.investigator, "violet ledger") == {(force.other["ref"], "transcript")}
    # The photo's new text replaced its old text; the entity enriched the new line.
    assert found(vault, people.officer, "07700 900123") == set()
    with vault.reading() as session:
        line = session.scalars(
            select(SearchDoc).where(
                SearchDoc.sha256 == photo, SearchDoc.layer == "ocr", SearchDoc.position == 1
            )
        ).all()
        assert [d.entity_types for d in line if "KM19XYZ" in d.text] == [" vrm "]
        links = session.scalars(
            select(EntityOccurrence.value).where(
                EntityOccurrence.sha256 == photo, EntityOccurrence.type == "vrm"
            )
        ).all()
    assert links == ["KM19XYZ"]  # the new entity list replaced the old one of that content


def test_a_batch_recorded_again_adds_nothing(vault, people, force):
    photo, other = force.photo["sha256"], force.other["sha256"]
    batch = [
        (photo, OcrProcessor, Result(ocr("harbour lantern"), params={"run": "2"})),
        (other, EntityProcessor, Result({"entities": [plate("KM19XYZ", "transcript")]}, params={"run": "2"})),
    ]
    first = record(vault, *batch)
    before = [count(vault, m) for m in (AnalysisResult, SearchDoc, SearchVector, EntityOccurrence)]
    assert record(vault, *batch) == first
    assert [count(vault, m) for m in (AnalysisResult, SearchDoc, SearchVector, EntityOccurrence)] == before


def test_only_the_results_analysis_keeps_are_recorded(vault, people, force):
    photo = force.photo["sha256"]
    kept_before = count(vault, AnalysisResult)
    ids = record(
        vault,
        (photo, MediaProbe, Result({"width": 64, "height": 48})),
        (photo, OcrProcessor, Result(ocr("lantern"), params={"run": "2"})),
    )
    assert ids[0] is None and ids[1] is not None
    assert count(vault, AnalysisResult) == kept_before + 1
    assert found(vault, people.officer, "lantern") == {(force.photo["ref"], "ocr")}


def test_the_later_of_two_results_for_the_same_content_and_layer_wins(vault, people, force):
    photo = force.photo["sha256"]
    record(
        vault,
        (photo, OcrProcessor, Result(ocr("harbour"), params={"run": "earlier"})),
        (photo, OcrProcessor, Result(ocr("quarry"), params={"run": "later"})),
    )
    assert found(vault, people.officer, "harbour") == set()
    assert found(vault, people.officer, "quarry") == {(force.photo["ref"], "ocr")}


def test_an_exhibits_own_docs_are_untouched(vault, people, force):
    """Metadata (and corrections) belong to an exhibit: machine output replaces only its own."""
    photo = force.photo["sha256"]
    scoped = select(SearchDoc.id, SearchDoc.body).where(SearchDoc.exhibit_id.is_not(None))
    with vault.reading() as session:
        before = session.execute(scoped.order_by(SearchDoc.id)).all()
    record(vault, (photo, OcrProcessor, Result(ocr("quarry"), params={"run": "2"})))
    with vault.reading() as session:
        assert session.execute(scoped.order_by(SearchDoc.id)).all() == before
    assert (force.photo["ref"], "metadata") in found(vault, people.officer, "statement")


# --- one batch against the same results one by one --------------------------------------------


class _Undo(Exception):
    def __init__(self, kept: dict) -> None:
        self.kept = kept


def kept_after(vault, batches: list[list[Processed]]) -> dict:
    """Everything the index holds after recording these batches, each as one recording unit
    would, inside a savepoint that is then undone (so that the vault is as it was)."""

    def work(ctx):
        try:
            with ctx.session.begin_nested():
                for batch in batches:
                    vault.plugins.hook.exhibits_processed(ctx=ctx, vault=vault, processed=batch)
                raise _Undo(snapshot(ctx.session))
        except _Undo as undo:
            return undo.kept

    return vault.write(work)


def snapshot(session) -> dict:
    """The index's rows, by what they say rather than by their ids: results by their key, docs
    in id order (their relative order breaks ranking ties), and what refers to docs by place."""
    rows = session.scalars(select(AnalysisResult)).all()
    results = {r.id: (r.sha256, r.processor, r.version, r.params_hash) for r in rows}
    facts = sorted((results[r.id], repr(r.facts)) for r in rows)
    docs = session.execute(select(SearchDoc.__table__).order_by(SearchDoc.id)).mappings().all()
    rank = {doc["id"]: n for n, doc in enumerate(docs)}
    same = lambda origin: results.get(origin, origin)  # noqa: E731  (metadata: the exhibit's id)
    kept = {
        "results": facts,
        "docs": [
            {**{k: v for k, v in doc.items() if k not in ("id", "tsv")}, "origin": same(doc["origin"])}
            for doc in docs
        ],
        "vectors": sorted(
            (rank[i], v) for i, v in session.execute(select(SearchVector.doc_id, SearchVector.vector))
        ),
        "entities": [
            (e.sha256, e.exhibit_id, same(e.origin), e.type, e.value, e.key, e.text, repr(e.locator))
            for e in session.scalars(select(EntityOccurrence).order_by(EntityOccurrence.id))
        ],
        "term_stats": sorted(session.execute(select(SearchTermStat.token, SearchTermStat.docs)).all()),
        "term_tops": sorted(
            (t.token, rank.get(t.doc_id, -1), t.tokens) for t in session.scalars(select(SearchTermTop))
        ),
    }
    if session.get_bind().dialect.name == "sqlite":  # the FTS5 index, kept in step by triggers
        match = text("SELECT rowid FROM search_fts WHERE search_fts MATCH :word ORDER BY rowid")
        kept["fts"] = {w: [rank[i] for (i,) in session.execute(match, {"word": w})] for w in WORDS}
    return kept


CONTENTS = ("bwv", "photo", "other")
words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
outputs = st.one_of(
    st.tuples(st.just(OcrProcessor), st.lists(words, min_size=1, max_size=3).map(lambda lines: ocr(*lines))),
    st.tuples(
        st.just(TranscriptionProcessor),
        st.lists(words, min_size=1, max_size=3).map(
            lambda said: transcript(*((n * 2.0, n * 2.0 + 1.5, s) for n, s in enumerate(said)))
        ),
    ),
    st.tuples(
        st.just(EntityProcessor),
        st.lists(
            st.builds(
                plate,
                st.sampled_from(["KM19XYZ", "AB12CDE"]),
                st.sampled_from(["ocr", "transcript"]),
                char_start=st.integers(0, 12),
                char_end=st.integers(5, 30),
            ),
            max_size=3,
        ).map(lambda found: {"entities": found}),
    ),
    st.tuples(st.just(MediaProbe), st.just({"width": 64})),
)
items = st.tuples(st.sampled_from(CONTENTS), outputs, st.sampled_from(["1", "2"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(items, min_size=1, max_size=8))
def test_a_batch_keeps_exactly_what_one_by_one_would(vault, force, champions, drawn):
    contents = {name: getattr(force, name)["sha256"] for name in CONTENTS}
    batch = [
        Processed(contents[name], processor, Result(facts, params={"run": run}))
        for name, (processor, facts), run in drawn
    ]
    assert kept_after(vault, [batch]) == kept_after(vault, [[item] for item in batch])


@pytest.fixture
def champions(vault, monkeypatch):
    """Champion lists over the force's few docs (SQLite), so that recording counts and lists
    docs in them as a big index would."""
    from exhibits.search import tops

    monkeypatch.setattr(tops, "FREQUENT", 1)
    vault.search.optimise(force=True)
