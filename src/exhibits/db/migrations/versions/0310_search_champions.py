"""search: champion lists for ranking frequent words without a full FTS5 pass

Adds each search doc's tokens (as FTS5 indexes them), the frequent tokens with their doc
counts, each frequent token's champion docs, and an fts5vocab table over search_fts (SQLite).
Existing docs get their tokens when the lists are first built (``exhibits search-optimise``
or the embedded worker when idle).

Revision ID: 0310_search_champions
Revises: 0300_analysis
Create Date: 2026-12-07 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base

revision = "0310_search_champions"
down_revision = "0300_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER (not a batch copy): search_docs carries the FTS5 triggers.
    op.add_column("search_docs", sa.Column("tokens", sa.Text(), nullable=True))
    op.create_table(
        "search_term_stats",
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("docs", sa.BigInteger(), nullable=False),
        sa.Column("floor", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_search_term_stats")),
    )
    op.create_table(
        "search_term_tops",
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("token", "doc_id", name=op.f("pk_search_term_tops")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_term_tops_doc", "search_term_tops", ["doc_id"], unique=False)
    op.create_table(
        "search_tops_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("built_through", sa.BigInteger(), nullable=False),
        sa.Column("docs", sa.BigInteger(), nullable=False),
        sa.Column("average_length", sa.Float(), nullable=False),
        sa.Column("built_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_tops_state")),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Doc counts of every token, read straight from the index (used to pick frequent ones).
        op.execute("CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts_vocab")
    op.drop_table("search_tops_state")
    op.drop_index("ix_search_term_tops_doc", table_name="search_term_tops")
    op.drop_table("search_term_tops")
    op.drop_table("search_term_stats")
    op.drop_column("search_docs", "tokens")
