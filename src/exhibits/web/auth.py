"""Who is calling, and the permission every route declares.

Deny by default: a route answers only if it declares a ``Rule`` through ``requires(...)``
(or ``public(...)``, or ``reads_case(...)`` / ``owns(...)`` for a read of one case or work on
the caller's own resource, done with its check in one worker-thread call); the app refuses,
for everyone, any route that does not. The rule's permission comes from the one table in
``access/permissions.py`` and is checked through ``access/policy.py`` against the case or
exhibit the path names.

Callers are signed in by an API token (``Authorization: Bearer exh_...``) or by the session
cookie. Cookie-authenticated requests that change anything must carry the session's CSRF
token (``X-CSRF-Token`` header, or a ``csrf_token`` field in a form post), so the web pages
of later issues get the same protection for free.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from exhibits.access.models import CaseAssignment  # noqa: F401  (tables loaded for the policy)
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.access.signin import SecondFactorEnrolmentRequired, SessionInfo
from exhibits.errors import ExhibitsError, NotAuthenticated, NotFound

SESSION_COOKIE = "exhibits_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
T = TypeVar("T")


class CsrfFailed(ExhibitsError):
    kind = "csrf-failed"
    status = 403
    exit_code = 4


@dataclass(frozen=True)
class Rule:
    """What a route needs. ``scope`` says where the case comes from for case-scoped permissions:

    - ``public``: nobody needs to sign in (health, sign-in itself, content links carry their own secret)
    - ``force``: a force-wide permission from the caller's roles
    - ``case``: the permission on the case named by the ``case_id`` path parameter
    - ``exhibit``: the permission on the exhibit named by ``exhibit_id`` (restrictions apply)
    - ``cases``: signed in; the answer is limited to cases where the caller holds the permission
    - ``upload``: on the case named in the upload's metadata (or ``media:ingest`` for unassigned media)
    - ``event``: on the case of the custody event named by ``seq`` (``audit:read`` for others)
    - ``own``: signed in; the resource must be the caller's own (their uploads)
    - ``service``: signed in; the path names the case (by id, URN or crime reference) or an
      item of it (a case-file record, a share, a hold) that only the capability's service can
      resolve, so the service checks this same permission on what it resolves (404 to those
      without it, as for ``case``)
    """

    permission: Permission | None
    scope: str
    second_factor: bool = True  # False: reachable while a second factor is still pending
    note: str = ""


@dataclass
class Caller:
    principal: Principal
    session: SessionInfo | None  # None when signed in with an API token


def is_id(value: str | None) -> bool:
    return bool(value) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)  # type: ignore[arg-type]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("use 'Authorization: Bearer <API token>'")
    return value.strip()


async def _check_csrf(request: Request, session: SessionInfo) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise CsrfFailed("cross-site request refused")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfFailed("this form or request lacks its CSRF token: reload the page and try again")


async def identify(request: Request) -> Caller | None:
    """The caller, or None when no credentials were offered. Cached on the request."""
    if "caller" in request.scope.get("state", {}):
        return request.state.caller
    vault = request.app.state.vault
    token = _bearer(request)
    caller: Caller | None = None
    if token is not None:
        caller = await run_in_threadpool(_token_holder, vault, token, request.state)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            principal, session = await run_in_threadpool(vault.access.signin.authenticate_session, cookie)
            caller = Caller(principal, session)
            if request.method not in SAFE_METHODS:
                await _check_csrf(request, session)
    request.state.caller = caller
    return caller


def _event_subject(session, seq_text: str) -> tuple[str | None, str | None]:
    from exhibits.custody.models import CustodyEventRow

    if not seq_text.isdigit() or len(seq_text) > 18:
        raise NotFound("no such event")
    row = session.get(CustodyEventRow, int(seq_text))
    if row is None:
        raise NotFound("no such event")
    return row.case_id, row.exhibit_id


NO_READ_SCOPES = frozenset({"force", "cases", "own", "upload", "service"})


def _authorise(vault, rule: Rule, caller: Caller, params: Mapping[str, Any]) -> None:
    if rule.scope in NO_READ_SCOPES:
        _authorise_without_read(rule, caller)
        return
    with vault.reading() as session:
        _authorise_in(session, rule, caller, params)


def _authorise_without_read(rule: Rule, caller: Caller) -> None:
    """``_authorise`` for a rule that reads nothing: cases/own/upload/service leave the rest
    to the service, which limits or checks the answer itself."""
    assert rule.permission is not None and rule.scope in NO_READ_SCOPES
    if rule.scope == "force":
        caller.principal.require(rule.permission)


def _authorise_in(session, rule: Rule, caller: Caller, params: Mapping[str, Any]) -> None:
    """``_authorise`` for a rule that reads the database, in the given read session."""
    from exhibits.evidence.models import Exhibit

    principal = caller.principal
    permission = rule.permission
    assert permission is not None
    if rule.scope == "case":
        case_id = params.get("case_id")
        if not is_id(case_id):
            raise NotFound("no such case, or you are not assigned to it")
        principal.require(permission, session, case_id)
    elif rule.scope == "exhibit":
        exhibit_id = params.get("exhibit_id")
        exhibit = session.get(Exhibit, exhibit_id) if is_id(exhibit_id) else None
        if exhibit is None:
            raise NotFound("no such exhibit, or you may not see it")
        principal.require_exhibit(permission, session, exhibit)
    elif rule.scope == "event":
        case_id, exhibit_id = _event_subject(session, str(params.get("seq", "")))
        if principal.has(Permission.AUDIT_READ):
            return
        if case_id is None:
            principal.require(Permission.AUDIT_READ)
        principal.require(permission, session, case_id)
        exhibit = session.get(Exhibit, exhibit_id) if exhibit_id else None
        if exhibit is not None:
            principal.require_exhibit(permission, session, exhibit)
    else:  # pragma: no cover - a Rule with an unknown scope is a programming error
        raise ValueError(f"unknown rule scope {rule.scope!r}")


def _token_holder(vault, token: str, state: Any, session=None) -> Caller:
    """The caller an API token names, kept on the request (refusals are logged against it)."""
    caller = Caller(vault.access.signin.authenticate_token(token, session), None)
    state.caller = caller
    return caller


def _token_caller(vault, rule: Rule, token: str, params: Mapping[str, Any], state: Any) -> Caller:
    """Identify an API token's holder, then authorise them, in one worker thread and one
    read session (one transaction)."""
    with vault.reading() as session:
        caller = _token_holder(vault, token, state, session)
        _authorise_in(session, rule, caller, params)
    return caller


async def _signed_in(request: Request, rule: Rule) -> Caller:
    """The caller of a request (token or session cookie), refused if none or if their force
    wants a second factor first."""
    caller = await identify(request)
    if caller is None:
        raise NotAuthenticated("sign in, or send an API token: 'Authorization: Bearer <token>'")
    if rule.second_factor and caller.session is not None and caller.session.second_factor_needed:
        raise SecondFactorEnrolmentRequired(
            "your force requires a second factor: set up or enter your authenticator code first"
        )
    return caller


def requires(
    permission: Permission, scope: str = "force", *, second_factor: bool = True, note: str = ""
) -> Any:
    """Declare (and enforce) the permission a route needs; see ``Rule``."""
    rule = Rule(permission, scope, second_factor, note)

    async def dependency(request: Request) -> Caller:
        vault = request.app.state.vault
        token = None if "caller" in request.scope.get("state", {}) else _bearer(request)
        if token is not None and rule.scope not in NO_READ_SCOPES:
            # An API token on a route whose check reads the database: both reads in one
            # trip to a thread instead of two, in the same order.
            params = dict(request.path_params)
            return await run_in_threadpool(_token_caller, vault, rule, token, params, request.state)
        caller = await _signed_in(request, rule)
        if rule.scope in NO_READ_SCOPES:  # no database read: not worth a trip to a thread
            _authorise(vault, rule, caller, request.path_params)
        else:
            await run_in_threadpool(_authorise, vault, rule, caller, dict(request.path_params))
        return caller

    dependency.exhibits_rule = rule  # type: ignore[attr-defined]
    return Depends(dependency)


class _CheckInThread:
    """A route's check left to the worker thread that does the route's work: a signed-in
    caller is identified before the route, an API token only there, in the route's own read
    session (so the token and what the route reads next are one snapshot)."""

    __slots__ = ("_caller", "_request", "_rule", "_token")

    def __init__(self, request: Request, rule: Rule, *, token: str | None, caller: Caller | None) -> None:
        self._request = request
        self._rule = rule
        self._token = token
        self._caller = caller

    def _identified(self, session: Any) -> Caller:
        """Call from a worker thread, inside a read session of the request's vault."""
        if self._caller is not None:
            return self._caller
        assert self._token is not None
        return _token_holder(self._request.app.state.vault, self._token, self._request.state, session)


def _checked_in_thread(rule: Rule, check: type[_CheckInThread]) -> Any:
    """The dependency of a route whose check ``check`` does in its worker thread."""

    async def dependency(request: Request) -> _CheckInThread:
        token = None if "caller" in request.scope.get("state", {}) else _bearer(request)
        if token is not None:
            return check(request, rule, token=token, caller=None)
        return check(request, rule, token=None, caller=await _signed_in(request, rule))

    dependency.exhibits_rule = rule  # type: ignore[attr-defined]
    return Depends(dependency)


class CaseRead(_CheckInThread):
    """A read of the case named by the path, authorised in the same worker-thread call and the
    same read session (one transaction) as the read itself: ``await read.run(fn)`` identifies the
    caller (an API token is looked up there), checks the declared permission on the case, and
    only then calls ``fn(principal, session)``. The caller is reachable only through ``run``,
    so a route cannot read before the check."""

    __slots__ = ()

    async def run(self, fn: Callable[[Principal, Any], T]) -> T:
        return await run_in_threadpool(self._run, fn, dict(self._request.path_params))

    def _run(self, fn: Callable[[Principal, Any], T], params: dict[str, Any]) -> T:
        vault = self._request.app.state.vault
        with vault.reading() as session:
            caller = self._identified(session)
            _authorise_in(session, self._rule, caller, params)
            return fn(caller.principal, session)


class OwnCall(_CheckInThread):
    """The check of an ``own``-scoped route, done by the worker thread that does the route's
    work: ``principal(session)`` identifies the caller and checks the declared rule; the
    principal is reachable only through it. The route runs it before it does anything for
    the caller; until then it may only receive the body."""

    __slots__ = ()

    async def run(self, fn: Callable[[Principal], T]) -> T:
        """``fn(principal)`` in the worker thread that does the check: one trip, not two."""
        return await run_in_threadpool(self._run, fn)

    def _run(self, fn: Callable[[Principal], T]) -> T:
        with self._request.app.state.vault.reading() as session:
            principal = self.principal(session)
        return fn(principal)

    async def check(self) -> None:
        """The check alone: before answering anything that would tell a caller not allowed
        in more than a refusal does (a malformed header)."""
        await self.run(lambda _principal: None)

    def principal(self, session: Any) -> Principal:
        """Call from a worker thread, inside a read session of the request's vault."""
        caller = self._identified(session)
        _authorise_without_read(self._rule, caller)
        return caller.principal


def owns(permission: Permission, *, note: str = "") -> Any:
    """Declare (and enforce) ``requires(permission, "own")`` for a route that acts on one of
    the caller's own resources in a worker thread: the route gets an ``OwnCall`` and does the
    check in that thread. With an API token nothing waits on the event loop before the route
    starts: a tus PATCH receives its body (uvicorn answers ``Expect: 100-continue`` on the
    first read) while the thread looks the token up, and stores nothing before the check."""
    return _checked_in_thread(Rule(permission, "own", note=note), OwnCall)


def reads_case(permission: Permission, *, note: str = "") -> Any:
    """Declare (and enforce) a case-scoped permission, like ``requires(permission, "case")``,
    for a route that reads the case: the route gets a ``CaseRead`` and does the check and its
    read in one trip to a worker thread (API tokens: token, permission and read together)."""
    return _checked_in_thread(Rule(permission, "case", note=note), CaseRead)


def public(note: str) -> Any:
    """Declare a route open to anyone (the note says why)."""
    rule = Rule(None, "public", second_factor=False, note=note)

    async def dependency(request: Request) -> None:
        return None

    dependency.exhibits_rule = rule  # type: ignore[attr-defined]
    return Depends(dependency)


def rule_of(route: Any) -> Rule | None:
    """The rule a route declared, found among its dependencies."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        rule = getattr(dep.call, "exhibits_rule", None)
        if rule is not None:
            return rule
        stack.extend(dep.dependencies)
    return None
