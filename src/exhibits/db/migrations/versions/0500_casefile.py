"""Case file: people, form records, unused material register, shares, retention.

Revision ID: 0500_casefile
Revises: 0001_core
Create Date: 2026-11-22 00:22:06.594995
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import make_append_only

revision = "0500_casefile"
down_revision = "0001_core"
branch_labels = ("casefile",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_outcomes",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=False),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("offence_group", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_outcomes_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_case_outcomes_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_outcomes")),
    )
    op.create_table(
        "case_people",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("occupation", sa.String(length=200), nullable=True),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("mopi_group", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_people_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_case_people_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_people")),
    )
    with op.batch_alter_table("case_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_people_case_id"), ["case_id"], unique=False)

    op.create_table(
        "retention_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_retention_decisions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_retention_decisions_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_decisions")),
    )
    with op.batch_alter_table("retention_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_decisions_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "retention_holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=32), nullable=False),
        sa.Column("placed_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=32), nullable=True),
        sa.Column("lifted_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_retention_holds_case_id_cases")),
        sa.ForeignKeyConstraint(["lifted_by"], ["users.id"], name=op.f("fk_retention_holds_lifted_by_users")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_retention_holds_media_id_media")),
        sa.ForeignKeyConstraint(["placed_by"], ["users.id"], name=op.f("fk_retention_holds_placed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_holds")),
    )
    with op.batch_alter_table("retention_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_holds_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retention_holds_media_id"), ["media_id"], unique=False)

    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("partner_role", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=32), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_shares_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_shares_created_by_users")),
        sa.ForeignKeyConstraint(["partner_id"], ["users.id"], name=op.f("fk_shares_partner_id_users")),
        sa.ForeignKeyConstraint(["revoked_by"], ["users.id"], name=op.f("fk_shares_revoked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index("ix_shares_partner_case", ["partner_id", "case_id"], unique=False)

    op.create_table(
        "casefile_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("linked_id", sa.String(length=32), nullable=True),
        sa.Column("supersedes_id", sa.String(length=32), nullable=True),
        sa.Column("signature", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_casefile_records_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_casefile_records_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["linked_id"],
            ["casefile_records.id"],
            name=op.f("fk_casefile_records_linked_id_casefile_records"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["case_people.id"], name=op.f("fk_casefile_records_person_id_case_people")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["casefile_records.id"],
            name=op.f("fk_casefile_records_supersedes_id_casefile_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casefile_records")),
    )
    with op.batch_alter_table("casefile_records", schema=None) as batch_op:
        batch_op.create_index("ix_casefile_records_case_form", ["case_id", "form"], unique=False)

    op.create_table(
        "casefile_record_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_casefile_record_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["casefile_records.id"],
            name=op.f("fk_casefile_record_versions_record_id_casefile_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casefile_record_versions")),
        sa.UniqueConstraint(
            "record_id", "version", name=op.f("uq_casefile_record_versions_record_id_version")
        ),
    )
    op.create_table(
        "share_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.String(length=32), nullable=True),
        sa.Column("form", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_share_items_exhibit_id_exhibits")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["casefile_records.id"], name=op.f("fk_share_items_record_id_casefile_records")
        ),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], name=op.f("fk_share_items_share_id_shares")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_items")),
    )
    with op.batch_alter_table("share_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_items_share_id"), ["share_id"], unique=False)

    op.create_table(
        "unused_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.String(length=32), nullable=True),
        sa.Column("item_date", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("sensitivity_reason", sa.Text(), nullable=True),
        sa.Column("presumption", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_unused_items_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_unused_items_created_by_users")),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_unused_items_exhibit_id_exhibits")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["casefile_records.id"], name=op.f("fk_unused_items_record_id_casefile_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unused_items")),
        sa.UniqueConstraint("case_id", "item_no", name=op.f("uq_unused_items_case_id_item_no")),
    )
    op.create_table(
        "unused_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_unused_decisions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["unused_items.id"], name=op.f("fk_unused_decisions_item_id_unused_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unused_decisions")),
    )
    with op.batch_alter_table("unused_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unused_decisions_item_id"), ["item_id"], unique=False)

    # History of records, prosecutor decisions and retention decisions is never rewritten.
    for table in ("casefile_record_versions", "unused_decisions", "retention_decisions"):
        make_append_only(table)


def downgrade() -> None:
    with op.batch_alter_table("unused_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unused_decisions_item_id"))

    op.drop_table("unused_decisions")
    op.drop_table("unused_items")
    with op.batch_alter_table("share_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_items_share_id"))

    op.drop_table("share_items")
    op.drop_table("casefile_record_versions")
    with op.batch_alter_table("casefile_records", schema=None) as batch_op:
        batch_op.drop_index("ix_casefile_records_case_form")

    op.drop_table("casefile_records")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index("ix_shares_partner_case")

    op.drop_table("shares")
    with op.batch_alter_table("retention_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_holds_media_id"))
        batch_op.drop_index(batch_op.f("ix_retention_holds_case_id"))

    op.drop_table("retention_holds")
    with op.batch_alter_table("retention_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_decisions_subject_id"))

    op.drop_table("retention_decisions")
    with op.batch_alter_table("case_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_people_case_id"))

    op.drop_table("case_people")
    op.drop_table("case_outcomes")
