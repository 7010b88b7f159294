"""processing: jobs, facts, derivatives, container members

Revision ID: 0200_processing
Revises: 0001_core
Create Date: 2026-11-22 00:23:55.711996
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import make_append_only

revision = "0200_processing"
down_revision = "0001_core"
branch_labels = ("processing",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processing_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("params_hash", sa.String(length=16), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("not_before", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("run_seconds", sa.Float(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_processing_jobs_requested_by_users")
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_processing_jobs_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_jobs")),
        sa.UniqueConstraint(
            "sha256",
            "processor",
            "version",
            "params_hash",
            name=op.f("uq_processing_jobs_sha256_processor_version_params_hash"),
        ),
    )
    with op.batch_alter_table("processing_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_processing_jobs_claim", ["status", "queue", "priority", "created_at"], unique=False
        )
        batch_op.create_index("ix_processing_jobs_sha256", ["sha256"], unique=False)

    op.create_table(
        "content_facts",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params_hash", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("recorded_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["processing_jobs.id"], name=op.f("fk_content_facts_job_id_processing_jobs")
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_content_facts_sha256_blobs")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_content_facts")),
    )
    with op.batch_alter_table("content_facts", schema=None) as batch_op:
        batch_op.create_index("ix_content_facts_sha256", ["sha256", "processor"], unique=False)

    op.create_table(
        "content_members",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("parent_sha256", sa.String(length=64), nullable=False),
        sa.Column("member_sha256", sa.String(length=64), nullable=False),
        sa.Column("member_path", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["processing_jobs.id"], name=op.f("fk_content_members_job_id_processing_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["member_sha256"], ["blobs.sha256"], name=op.f("fk_content_members_member_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["parent_sha256"], ["blobs.sha256"], name=op.f("fk_content_members_parent_sha256_blobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_members")),
        sa.UniqueConstraint("job_id", "position", name=op.f("uq_content_members_job_id_position")),
    )
    with op.batch_alter_table("content_members", schema=None) as batch_op:
        batch_op.create_index("ix_content_members_parent", ["parent_sha256"], unique=False)

    op.create_table(
        "derivatives",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("parent_sha256", sa.String(length=64), nullable=False),
        sa.Column("output_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("params_hash", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["processing_jobs.id"], name=op.f("fk_derivatives_job_id_processing_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["output_sha256"], ["blobs.sha256"], name=op.f("fk_derivatives_output_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["parent_sha256"], ["blobs.sha256"], name=op.f("fk_derivatives_parent_sha256_blobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivatives")),
    )
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.create_index("ix_derivatives_job", ["job_id"], unique=False)
        batch_op.create_index("ix_derivatives_output", ["output_sha256"], unique=False)
        batch_op.create_index("ix_derivatives_parent", ["parent_sha256", "kind"], unique=False)

    op.create_table(
        "processing_job_dependencies",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("depends_on", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["depends_on"],
            ["processing_jobs.id"],
            name=op.f("fk_processing_job_dependencies_depends_on_processing_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["processing_jobs.id"],
            name=op.f("fk_processing_job_dependencies_job_id_processing_jobs"),
        ),
        sa.PrimaryKeyConstraint("job_id", "depends_on", name=op.f("pk_processing_job_dependencies")),
    )
    with op.batch_alter_table("processing_job_dependencies", schema=None) as batch_op:
        batch_op.create_index("ix_processing_job_dependencies_depends_on", ["depends_on"], unique=False)

    # Machine outputs are records: a new processor version adds rows, never rewrites them.
    for table in ("content_facts", "derivatives", "content_members"):
        make_append_only(table)


def downgrade() -> None:
    with op.batch_alter_table("processing_job_dependencies", schema=None) as batch_op:
        batch_op.drop_index("ix_processing_job_dependencies_depends_on")

    op.drop_table("processing_job_dependencies")
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.drop_index("ix_derivatives_parent")
        batch_op.drop_index("ix_derivatives_output")
        batch_op.drop_index("ix_derivatives_job")

    op.drop_table("derivatives")
    with op.batch_alter_table("content_members", schema=None) as batch_op:
        batch_op.drop_index("ix_content_members_parent")

    op.drop_table("content_members")
    with op.batch_alter_table("content_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_content_facts_sha256")

    op.drop_table("content_facts")
    with op.batch_alter_table("processing_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_processing_jobs_sha256")
        batch_op.drop_index("ix_processing_jobs_claim")

    op.drop_table("processing_jobs")
