"""core: cases, media, exhibits, users, custody log

Revision ID: 0001_core
Revises:
Create Date: 2026-11-22 00:15:35.138418
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import grant_app_role, make_append_only

revision = "0001_core"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=False),
        sa.Column("stored_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disposed_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposal_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "custody_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_checkpoints")),
    )
    with op.batch_alter_table("custody_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_checkpoints_size"), ["size"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", sa.String(length=27), nullable=False),
        sa.Column("event_class", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_custody_events")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index("ix_custody_events_actor_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_events_at"), ["at"], unique=False)
        batch_op.create_index("ix_custody_events_case_seq", ["case_id", "seq"], unique=False)
        batch_op.create_index("ix_custody_events_exhibit_seq", ["exhibit_id", "seq"], unique=False)
        batch_op.create_index("ix_custody_events_media_seq", ["media_id", "seq"], unique=False)
        batch_op.create_index("ix_custody_events_sha256", ["sha256"], unique=False)

    op.create_table(
        "custody_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("last_checkpoint_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_head")),
    )
    op.create_table(
        "custody_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_custody_nodes")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("introduced_at_size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("force_code", sa.String(length=16), nullable=False),
        sa.Column("collar", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("force_code", "collar", name=op.f("uq_users_force_code_collar")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("force_code", sa.String(length=16), nullable=False),
        sa.Column("crime_ref", sa.String(length=64), nullable=False),
        sa.Column("urn", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_cases_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("force_code", "crime_ref", name=op.f("uq_cases_force_code_crime_ref")),
        sa.UniqueConstraint("urn", name=op.f("uq_cases_urn")),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("incident_ref", sa.String(length=128), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("captured_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_offset_seconds", sa.Float(), nullable=True),
        sa.Column("captured_by", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("parent_media_id", sa.String(length=32), nullable=True),
        sa.Column("member_path", sa.Text(), nullable=True),
        sa.Column("ingested_by", sa.String(length=32), nullable=False),
        sa.Column("ingested_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_after", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["ingested_by"], ["users.id"], name=op.f("fk_media_ingested_by_users")),
        sa.ForeignKeyConstraint(
            ["parent_media_id"], ["media.id"], name=op.f("fk_media_parent_media_id_media")
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_media_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=False)

    op.create_table(
        "case_assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=True),
        sa.Column("granted_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_assignments_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_case_assignments_granted_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignments")),
    )
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_case_assignments_user_case", ["user_id", "case_id"], unique=False)

    op.create_table(
        "case_producers",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("producer_key", sa.String(length=250), nullable=False),
        sa.Column("initials", sa.String(length=16), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_producers_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "producer_key", name=op.f("pk_case_producers")),
        sa.UniqueConstraint("case_id", "initials", name=op.f("uq_case_producers_case_id_initials")),
    )
    op.create_table(
        "exhibits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("parent_exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("next_child", sa.Integer(), nullable=False),
        sa.Column("producer", sa.String(length=200), nullable=False),
        sa.Column("producer_key", sa.String(length=250), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_exhibits_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_exhibits_created_by_users")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_exhibits_media_id_media")),
        sa.ForeignKeyConstraint(
            ["parent_exhibit_id"], ["exhibits.id"], name=op.f("fk_exhibits_parent_exhibit_id_exhibits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibits")),
        sa.UniqueConstraint("case_id", "ref", name=op.f("uq_exhibits_case_id_ref")),
    )
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.create_index("ix_exhibits_case_created", ["case_id", "created_at"], unique=False)
        batch_op.create_index("ix_exhibits_media", ["media_id"], unique=False)

    grant_app_role()
    for table in ("custody_events", "custody_nodes", "custody_checkpoints", "signing_keys"):
        make_append_only(table)
    make_append_only("custody_head", allow_update=True)


def downgrade() -> None:
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.drop_index("ix_exhibits_media")
        batch_op.drop_index("ix_exhibits_case_created")

    op.drop_table("exhibits")
    op.drop_table("case_producers")
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_case_assignments_user_case")

    op.drop_table("case_assignments")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha256"))

    op.drop_table("media")
    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("signing_keys")
    op.drop_table("custody_nodes")
    op.drop_table("custody_head")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index("ix_custody_events_sha256")
        batch_op.drop_index("ix_custody_events_media_seq")
        batch_op.drop_index("ix_custody_events_exhibit_seq")
        batch_op.drop_index("ix_custody_events_case_seq")
        batch_op.drop_index(batch_op.f("ix_custody_events_at"))
        batch_op.drop_index("ix_custody_events_actor_seq")

    op.drop_table("custody_events")
    with op.batch_alter_table("custody_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_checkpoints_size"))

    op.drop_table("custody_checkpoints")
    op.drop_table("blobs")
