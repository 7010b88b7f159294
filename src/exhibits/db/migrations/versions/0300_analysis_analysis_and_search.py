"""analysis and search

Revision ID: 0300_analysis
Revises: 0001_core
Create Date: 2026-11-22 00:25:00.588712
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import make_append_only

# The full-text index over search_docs.body: FTS5 on SQLite (external content kept in step
# by triggers), a generated tsvector with a GIN index on PostgreSQL.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_docs', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_docs_fts_insert AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_docs_fts_delete AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER search_docs_fts_update AFTER UPDATE OF body ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
]
POSTGRES_FTS = [
    "ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
    "CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv)",
]


revision = "0300_analysis"
down_revision = "0001_core"
branch_labels = ("analysis",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_results",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params_hash", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("recorded_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_analysis_results_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_results")),
        sa.UniqueConstraint(
            "sha256",
            "processor",
            "version",
            "params_hash",
            name=op.f("uq_analysis_results_sha256_processor_version_params_hash"),
        ),
    )
    with op.batch_alter_table("analysis_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analysis_results_sha256_processor", ["sha256", "processor", "recorded_at"], unique=False
        )

    op.create_table(
        "link_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("other_case_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("other_value", sa.String(length=300), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_link_decisions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_link_decisions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["other_case_id"], ["cases.id"], name=op.f("fk_link_decisions_other_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_decisions")),
    )
    with op.batch_alter_table("link_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_link_decisions_case", ["case_id", "other_case_id"], unique=False)

    op.create_table(
        "analysis_revisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("machine_result_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_analysis_revisions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_analysis_revisions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_analysis_revisions_exhibit_id_exhibits")
        ),
        sa.ForeignKeyConstraint(
            ["machine_result_id"],
            ["analysis_results.id"],
            name=op.f("fk_analysis_revisions_machine_result_id_analysis_results"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_revisions")),
        sa.UniqueConstraint(
            "exhibit_id", "kind", "number", name=op.f("uq_analysis_revisions_exhibit_id_kind_number")
        ),
    )
    op.create_table(
        "entity_occurrences",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locator", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_entity_occurrences_exhibit_id_exhibits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_occurrences")),
    )
    with op.batch_alter_table("entity_occurrences", schema=None) as batch_op:
        batch_op.create_index("ix_entity_occurrences_exhibit", ["exhibit_id"], unique=False)
        batch_op.create_index("ix_entity_occurrences_origin", ["origin"], unique=False)
        batch_op.create_index("ix_entity_occurrences_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_entity_occurrences_type_key", ["type", "key"], unique=False)
        batch_op.create_index("ix_entity_occurrences_type_value", ["type", "value"], unique=False)

    op.create_table(
        "search_docs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("locator", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("entity_types", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_search_docs_exhibit_id_exhibits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
    )
    with op.batch_alter_table("search_docs", schema=None) as batch_op:
        batch_op.create_index("ix_search_docs_exhibit_layer", ["exhibit_id", "layer"], unique=False)
        batch_op.create_index("ix_search_docs_origin", ["origin"], unique=False)
        batch_op.create_index("ix_search_docs_sha256_layer", ["sha256", "layer"], unique=False)

    op.create_table(
        "search_vectors",
        sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_docs.id"],
            name=op.f("fk_search_vectors_doc_id_search_docs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_vectors")),
    )
    for statement in SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FTS:
        op.execute(statement)
    # Machine outputs, corrections and link decisions are records: never changed, never removed.
    for table in ("analysis_results", "analysis_revisions", "link_decisions"):
        make_append_only(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_vectors")
    with op.batch_alter_table("search_docs", schema=None) as batch_op:
        batch_op.drop_index("ix_search_docs_sha256_layer")
        batch_op.drop_index("ix_search_docs_origin")
        batch_op.drop_index("ix_search_docs_exhibit_layer")

    op.drop_table("search_docs")
    with op.batch_alter_table("entity_occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_occurrences_type_value")
        batch_op.drop_index("ix_entity_occurrences_type_key")
        batch_op.drop_index("ix_entity_occurrences_sha256")
        batch_op.drop_index("ix_entity_occurrences_origin")
        batch_op.drop_index("ix_entity_occurrences_exhibit")

    op.drop_table("entity_occurrences")
    op.drop_table("analysis_revisions")
    with op.batch_alter_table("link_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_link_decisions_case")

    op.drop_table("link_decisions")
    with op.batch_alter_table("analysis_results", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_results_sha256_processor")

    op.drop_table("analysis_results")
