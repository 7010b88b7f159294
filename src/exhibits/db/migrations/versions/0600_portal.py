"""portal: public evidence requests, standing pages, submissions, their tokens and files

Revision ID: 0600_portal
Revises: 0001_core
Create Date: 2026-11-22 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import grant_app_role

revision = "0600_portal"
down_revision = "0001_core"
branch_labels = ("portal",)
depends_on = None

UTC = exhibits.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_pages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("form", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_portal_pages_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_portal_pages_slug")),
    )
    op.create_table(
        "portal_submissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("form", sa.String(length=32), nullable=False),
        sa.Column("appeal", sa.String(length=300), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("page_id", sa.String(length=32), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("submitted_at", UTC, nullable=True),
        sa.Column("submitter", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("declaration", sa.JSON(), nullable=False),
        sa.Column("offence_at", UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("accepted_case_id", sa.String(length=32), nullable=True),
        sa.Column("statement_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_case_id"], ["cases.id"], name=op.f("fk_portal_submissions_accepted_case_id_cases")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_portal_submissions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_portal_submissions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["portal_pages.id"], name=op.f("fk_portal_submissions_page_id_portal_pages")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_portal_submissions_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_submissions")),
        sa.UniqueConstraint("reference", name=op.f("uq_portal_submissions_reference")),
    )
    op.create_index("ix_portal_submissions_status", "portal_submissions", ["status", "submitted_at"])
    op.create_table(
        "portal_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["portal_submissions.id"],
            name=op.f("fk_portal_tokens_submission_id_portal_submissions"),
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_portal_tokens")),
    )
    op.create_index("ix_portal_tokens_submission", "portal_tokens", ["submission_id"])
    op.create_table(
        "portal_codes",
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["portal_submissions.id"],
            name=op.f("fk_portal_codes_submission_id_portal_submissions"),
        ),
        sa.PrimaryKeyConstraint("code_sha256", name=op.f("pk_portal_codes")),
    )
    op.create_table(
        "portal_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=True),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["portal_submissions.id"],
            name=op.f("fk_portal_files_submission_id_portal_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_files")),
    )
    op.create_index("ix_portal_files_submission", "portal_files", ["submission_id"])
    grant_app_role()


def downgrade() -> None:
    op.drop_index("ix_portal_files_submission", table_name="portal_files")
    op.drop_table("portal_files")
    op.drop_table("portal_codes")
    op.drop_index("ix_portal_tokens_submission", table_name="portal_tokens")
    op.drop_table("portal_tokens")
    op.drop_index("ix_portal_submissions_status", table_name="portal_submissions")
    op.drop_table("portal_submissions")
    op.drop_table("portal_pages")
