"""Who the authorisation table walks: every role, every part one can hold in a case, and
someone excluded from it. One list, shared by tests/web/test_authorisation.py and the rows
other capabilities keep beside their own tests (tests/portal/authorisation.py)."""

ANON = "anonymous"
ROLES = ["officer", "investigator", "supervisor", "admin", "auditor", "prosecutor", "defence"]
ASSIGNED = ["oic", "disclosure", "case_investigator", "viewer"]
EXCLUDED = "excluded"  # assigned as investigator, then excluded from the case
IDENTITIES = [ANON, *ROLES, *ASSIGNED, EXCLUDED]

ALL = frozenset(IDENTITIES)
SIGNED_IN = ALL - {ANON}
WORKERS = frozenset({"oic", "disclosure", "case_investigator"})
