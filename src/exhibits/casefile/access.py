"""The access decision for external partners: what an active share lets them do.

``share_permissions`` answers the access policy, through the ``exhibits_case_grants`` hook,
for a partner who holds no assignment in a case. A share is active from creation until it
expires or is revoked; revocation takes effect at the next request, since nothing is cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.permissions import EXTERNAL_ROLES, SHARE_PERMISSIONS, Permission, Role
from exhibits.casefile.models import Share, ShareItem
from exhibits.clock import utcnow

if TYPE_CHECKING:
    from exhibits.access.principal import Principal


def active_shares(session: Session, principal: Principal, case_id: str | None = None) -> list[Share]:
    if not principal.roles & EXTERNAL_ROLES:
        return []
    query = select(Share).where(
        Share.partner_id == principal.user_id,
        Share.revoked_at.is_(None),
        Share.expires_at > utcnow(),
    )
    if case_id is not None:
        query = query.where(Share.case_id == case_id)
    return list(session.scalars(query.order_by(Share.created_at)))


def share_permissions(session: Session, user_id: str, roles, case_id: str) -> frozenset[Permission]:
    """The case-level permissions an active share gives this partner (none for anyone else)."""
    partner_roles = frozenset(roles) & EXTERNAL_ROLES
    if not partner_roles:
        return frozenset()
    query = select(Share.id).where(
        Share.partner_id == user_id,
        Share.case_id == case_id,
        Share.revoked_at.is_(None),
        Share.expires_at > utcnow(),
    )
    if session.scalar(query.limit(1)) is None:
        return frozenset()
    return frozenset().union(*(SHARE_PERMISSIONS.get(Role(r), frozenset()) for r in partner_roles))


def shared_item(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    exhibit_id: str | None = None,
    sha256: str | None = None,
    record_id: str | None = None,
) -> tuple[Share, ShareItem] | None:
    """The active share and item through which a partner may see this item, if any."""
    for share in active_shares(session, principal, case_id):
        query = select(ShareItem).where(ShareItem.share_id == share.id)
        if record_id is not None:
            query = query.where(ShareItem.record_id == record_id)
        else:
            if exhibit_id is not None:
                query = query.where(ShareItem.exhibit_id == exhibit_id)
            if sha256 is not None:
                query = query.where(ShareItem.sha256 == sha256)
        item = session.scalars(query).first()
        if item is not None:
            return share, item
    return None
