"""``vault.access``: sign-in, tokens, need-to-know, content grants and audit, in one place."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from exhibits.access.settings import AccessSettings, OidcSettings, access_settings, oidc_settings

if TYPE_CHECKING:
    from exhibits.access.audit import AuditService
    from exhibits.access.grants import GrantService
    from exhibits.access.needtoknow import NeedToKnowService
    from exhibits.access.signin import SignInService
    from exhibits.access.tokens import TokenService
    from exhibits.vault import Vault


class AccessServices:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @property
    def settings(self) -> AccessSettings:
        return access_settings(self.vault.settings)

    @property
    def oidc(self) -> OidcSettings:
        return oidc_settings(self.vault.settings)

    @cached_property
    def signin(self) -> SignInService:
        from exhibits.access.signin import SignInService

        return SignInService(self.vault)

    @cached_property
    def tokens(self) -> TokenService:
        from exhibits.access.tokens import TokenService

        return TokenService(self.vault)

    @cached_property
    def need_to_know(self) -> NeedToKnowService:
        from exhibits.access.needtoknow import NeedToKnowService

        return NeedToKnowService(self.vault)

    @cached_property
    def grants(self) -> GrantService:
        from exhibits.access.grants import GrantService

        return GrantService(self.vault)

    @cached_property
    def audit(self) -> AuditService:
        from exhibits.access.audit import AuditService

        return AuditService(self.vault)
