"""api: sign-in (sessions, API tokens, TOTP, OIDC links), need-to-know, content grants, uploads

Revision ID: 0100_api
Revises: 0001_core
Create Date: 2026-11-22 00:25:11.289119
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exhibits.db.base
from exhibits.db.append_only import grant_app_role

revision = "0100_api"
down_revision = "0001_core"
branch_labels = ("api",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_flows",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("return_to", sa.String(length=500), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_sign_in_flows")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_api_tokens_created_by_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "external_identities",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("linked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_external_identities_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_external_identities_issuer_subject")),
    )
    with op.batch_alter_table("external_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_identities_user_id"), ["user_id"], unique=False)

    op.create_table(
        "totp_factors",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_totp_factors_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_factors")),
    )
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("exhibit_id", sa.String(length=32), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index("ix_uploads_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_uploads_user", ["user_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("second_factor", sa.Boolean(), nullable=False),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_web_sessions_secret_sha256")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "case_exclusions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excluded_by", sa.String(length=32), nullable=False),
        sa.Column("excluded_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_exclusions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["excluded_by"], ["users.id"], name=op.f("fk_case_exclusions_excluded_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_exclusions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_exclusions")),
    )
    with op.batch_alter_table("case_exclusions", schema=None) as batch_op:
        batch_op.create_index("ix_case_exclusions_user_case", ["user_id", "case_id"], unique=False)

    op.create_table(
        "content_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_content_grants_exhibit_id_exhibits")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_content_grants_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_grants")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_content_grants_secret_sha256")),
    )
    with op.batch_alter_table("content_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_grants_user_id"), ["user_id"], unique=False)

    op.create_table(
        "exhibit_access",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("exhibit_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=False),
        sa.Column("granted_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exhibits.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["exhibit_id"], ["exhibits.id"], name=op.f("fk_exhibit_access_exhibit_id_exhibits")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_exhibit_access_granted_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_exhibit_access_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibit_access")),
    )
    with op.batch_alter_table("exhibit_access", schema=None) as batch_op:
        batch_op.create_index("ix_exhibit_access_exhibit_user", ["exhibit_id", "user_id"], unique=False)
    grant_app_role()  # the application's role uses these tables like the core ones


def downgrade() -> None:
    with op.batch_alter_table("exhibit_access", schema=None) as batch_op:
        batch_op.drop_index("ix_exhibit_access_exhibit_user")

    op.drop_table("exhibit_access")
    with op.batch_alter_table("content_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_grants_user_id"))

    op.drop_table("content_grants")
    with op.batch_alter_table("case_exclusions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_exclusions_user_case")

    op.drop_table("case_exclusions")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_uploads_user")
        batch_op.drop_index("ix_uploads_status_expires")

    op.drop_table("uploads")
    op.drop_table("totp_factors")
    with op.batch_alter_table("external_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_identities_user_id"))

    op.drop_table("external_identities")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("sign_in_flows")
