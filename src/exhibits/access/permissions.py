"""Who may do what: the one table of permissions.

Deny by default. A permission is either force-wide (held through a force role) or
case-scoped (held through an assignment to that case). Every service method and every
API route names the permission it needs; nothing else grants access.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"  # force administrator
    AUDITOR = "auditor"
    PROSECUTOR = "prosecutor"  # external partner (CPS)
    DEFENCE = "defence"  # external partner


EXTERNAL_ROLES = frozenset({Role.PROSECUTOR, Role.DEFENCE})


class Assignment(StrEnum):
    OFFICER_IN_CHARGE = "officer_in_charge"
    DISCLOSURE_OFFICER = "disclosure_officer"
    INVESTIGATOR = "investigator"
    VIEWER = "viewer"


class Permission(StrEnum):
    # force-wide
    ACCOUNT_SELF = "account:self"  # one's own sign-in: sessions, API tokens, second factor
    LOG_PROOF = "log:proof"  # signed checkpoints and consistency proofs (hashes only)
    CASE_CREATE = "case:create"
    MEDIA_INGEST = "media:ingest"  # footage before any case exists
    MEDIA_READ = "media:read"  # see unassigned media, to attach it
    USER_MANAGE = "user:manage"
    AUDIT_READ = "audit:read"
    VAULT_VERIFY = "vault:verify"
    VAULT_ADMIN = "vault:admin"  # backup, restore, key rotation, checkpoints
    PROCESSING_VIEW = "processing:view"  # the vault-wide job queue (content hashes, no case data)
    PROCESSING_MANAGE = "processing:manage"  # run workers, reprocess content
    # case-scoped
    CASE_READ = "case:read"
    CASE_UPDATE = "case:update"
    CASE_ASSIGN = "case:assign"
    EXHIBIT_ADD = "exhibit:add"
    EXHIBIT_READ = "exhibit:read"  # metadata
    EXHIBIT_CONTENT = "exhibit:content"  # open the bytes (original or derivative)
    CUSTODY_READ = "custody:read"
    ANALYSIS_CORRECT = "analysis:correct"  # correct a transcript or entity list (a new revision)
    LINK_DECIDE = "link:decide"  # confirm or reject a suggested link to another case
    REDACTION_EDIT = "redaction:edit"  # propose, review and render redaction sets
    # case file, disclosure, sharing and retention (case-scoped unless listed in FORCE_WIDE)
    CASEFILE_READ = "casefile:read"
    CASEFILE_WRITE = "casefile:write"
    DISCLOSURE_MANAGE = "disclosure:manage"  # the unused material register and its schedules
    DISCLOSURE_DECIDE = "disclosure:decide"  # the prosecutor's D / CND / I decisions
    SHARE_MANAGE = "share:manage"
    BUNDLE_EXPORT = "bundle:export"
    CASEFILE_SUPERVISE = "casefile:supervise"  # force-wide: supervisor sign-off
    RETENTION_REVIEW = "retention:review"  # force-wide: review queue, holds, decisions, disposal
    CASE_EXCLUDE = "case:exclude"  # keep a named person out of the case
    EXHIBIT_RESTRICT = "exhibit:restrict"  # restrict sensitive material to named people
    # public evidence portal (force-wide)
    PORTAL_TRIAGE = "portal:triage"  # ask the public for evidence; accept or reject what arrives
    PORTAL_MANAGE = "portal:manage"  # open or close standing public pages


FORCE_WIDE = frozenset(
    {
        Permission.ACCOUNT_SELF,
        Permission.LOG_PROOF,
        Permission.CASE_CREATE,
        Permission.MEDIA_INGEST,
        Permission.MEDIA_READ,
        Permission.USER_MANAGE,
        Permission.AUDIT_READ,
        Permission.VAULT_VERIFY,
        Permission.VAULT_ADMIN,
        Permission.CASEFILE_SUPERVISE,
        Permission.RETENTION_REVIEW,
        Permission.PROCESSING_VIEW,
        Permission.PROCESSING_MANAGE,
        Permission.PORTAL_TRIAGE,
        Permission.PORTAL_MANAGE,
    }
)

# Everyone who can sign in manages their own sign-in and may check the log's signed state.
_EVERYONE = frozenset({Permission.ACCOUNT_SELF, Permission.LOG_PROOF})
_POLICE_CASEWORK = _EVERYONE | {
    Permission.CASE_CREATE,
    Permission.MEDIA_INGEST,
    Permission.MEDIA_READ,
    Permission.PORTAL_TRIAGE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: _POLICE_CASEWORK,
    Role.INVESTIGATOR: _POLICE_CASEWORK,
    Role.SUPERVISOR: _POLICE_CASEWORK
    | {
        Permission.CASEFILE_SUPERVISE,
        Permission.RETENTION_REVIEW,
        Permission.PROCESSING_VIEW,
        Permission.PORTAL_MANAGE,
    },
    Role.ADMIN: _EVERYONE
    | frozenset(
        {
            Permission.CASE_CREATE,
            Permission.MEDIA_INGEST,
            Permission.MEDIA_READ,
            Permission.USER_MANAGE,
            Permission.VAULT_VERIFY,
            Permission.VAULT_ADMIN,
            Permission.PROCESSING_VIEW,
            Permission.PROCESSING_MANAGE,
            Permission.PORTAL_MANAGE,
        }
    ),
    Role.AUDITOR: _EVERYONE | {Permission.AUDIT_READ, Permission.VAULT_VERIFY},
    Role.PROSECUTOR: _EVERYONE,
    Role.DEFENCE: _EVERYONE,
}

_READ = frozenset(
    {
        Permission.CASE_READ,
        Permission.EXHIBIT_READ,
        Permission.EXHIBIT_CONTENT,
        Permission.CUSTODY_READ,
        Permission.CASEFILE_READ,
    }
)
_WORK = _READ | {
    Permission.EXHIBIT_ADD,
    Permission.ANALYSIS_CORRECT,
    Permission.LINK_DECIDE,
    Permission.REDACTION_EDIT,
    Permission.CASEFILE_WRITE,
}
_CASE_FILE_OWNER = frozenset(
    {Permission.DISCLOSURE_MANAGE, Permission.SHARE_MANAGE, Permission.BUNDLE_EXPORT}
)

ASSIGNMENT_PERMISSIONS: dict[Assignment, frozenset[Permission]] = {
    Assignment.OFFICER_IN_CHARGE: _WORK
    | _CASE_FILE_OWNER
    | {Permission.CASE_UPDATE, Permission.CASE_ASSIGN, Permission.CASE_EXCLUDE, Permission.EXHIBIT_RESTRICT},
    Assignment.DISCLOSURE_OFFICER: _WORK | _CASE_FILE_OWNER | {Permission.EXHIBIT_RESTRICT},
    Assignment.INVESTIGATOR: _WORK,
    Assignment.VIEWER: _READ,
}

# What an active share gives an external partner in the shared case; which items they see
# is decided per item by exhibits.casefile.access.
SHARE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PROSECUTOR: frozenset(
        {Permission.CASE_READ, Permission.CASEFILE_READ, Permission.DISCLOSURE_DECIDE}
    ),
    Role.DEFENCE: frozenset({Permission.CASE_READ, Permission.CASEFILE_READ}),
}


def role_grants(roles: frozenset[Role], permission: Permission) -> bool:
    return any(permission in ROLE_PERMISSIONS.get(role, frozenset()) for role in roles)


def assignment_grants(assignments: frozenset[Assignment], permission: Permission) -> bool:
    return any(permission in ASSIGNMENT_PERMISSIONS.get(a, frozenset()) for a in assignments)
