"""processing: claim jobs by walking one index in the order they are taken

The claim query used to sort every pending job on each claim; with this index it reads
pending jobs already in (priority, arrival) order and stops at the first runnable ones.

Revision ID: 0210_processing_claim_order
Revises: 0200_processing
Create Date: 2026-11-22 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0210_processing_claim_order"
down_revision = "0200_processing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processing_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_processing_jobs_claim")
        batch_op.create_index(
            "ix_processing_jobs_claim",
            ["status", sa.text("priority DESC"), "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("processing_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_processing_jobs_claim")
        batch_op.create_index(
            "ix_processing_jobs_claim", ["status", "queue", "priority", "created_at"], unique=False
        )
