"""Accounts, sign-in, sessions, API tokens and the scope of what each user may see.

* Passwords are argon2id hashes (argon2-cffi), re-hashed on sign-in when the parameters change.
* A session is a random token in an HTTP-only, SameSite=Lax cookie (``Secure`` unless the operator runs plain
  HTTP on purpose); the database keeps only its sha256, so signing out or disabling a user ends it at once.
  Each session has its own CSRF token, which every form posts back (web/pages.py checks it).
* Password guessing is throttled per user name and per client address (``LoginThrottle`` rows, so several
  server processes share the count); a locked key is refused before the password is even checked.
* A unit user (主办单位用户) sees only the sites whose 主办单位 is one of their units; :class:`Principal` carries
  that scope into every query (web/data.py), for pages and API alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from govinspect.store import Store
from govinspect.store.models import Unit
from govinspect.store.users import ApiToken, LoginThrottle, Role, User, UserUnit, WebSession

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)  # absolute
SESSION_IDLE = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often (one write per request is waste)
USER_LIMIT = 5  # failed sign-ins for one user name within WINDOW lock it for LOCK
ADDRESS_LIMIT = 30  # failed sign-ins from one address (any names) within WINDOW lock the address
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
TOKEN_PREFIX = "gi_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
_dummy: dict[int, str] = {}  # per hasher: verified against when the name is unknown, so that costs the same


def _dummy_hash() -> str:
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash("govinspect: no such user")
    return _dummy[key]


class AuthError(Exception):
    """An account operation that cannot be done; the message is for an official, in Chinese."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, and which sites they may see (``unit_ids`` None: every site)."""

    user_id: int
    username: str
    display_name: str
    role: Role
    unit_ids: frozenset[int] | None
    unit_names: tuple[str, ...] = ()
    csrf_token: str | None = None  # set for browser sessions

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def sees_all(self) -> bool:
        return self.unit_ids is None


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timezone-aware columns back naive (they were written in UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- passwords and accounts --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"密码至少需要 {MIN_PASSWORD} 个字符"
    if len(password) > 256:
        return "密码不能超过 256 个字符"
    if len(set(password)) < 4:
        return "密码过于简单：请使用更多不同的字符"
    return None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AuthError("用户名须为 2–64 位字母、数字、点、下划线或连字符，且以字母或数字开头")
    return name


def _units(session: Session, role: Role, unit_ids: Iterable[int]) -> list[Unit]:
    ids = sorted(set(unit_ids))
    units = list(session.scalars(select(Unit).where(Unit.id.in_(ids)))) if ids else []
    if len(units) != len(ids):
        raise AuthError("所选主办单位不在名录中")
    if role is Role.UNIT and not units:
        raise AuthError("主办单位用户至少要关联一个主办单位")
    if role is not Role.UNIT and units:
        raise AuthError("只有主办单位用户才关联主办单位；管理员和检查人员可以查看全部网站")
    return units


def create_user(
    session: Session,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    unit_ids: Iterable[int] = (),
) -> User:
    role = Role(role)
    name = _check_username(username)
    if problem := password_problem(password):
        raise AuthError(problem)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AuthError(f"用户名“{name}”已存在")
    user = User(
        username=name,
        display_name=display_name.strip()[:100] or name,
        role=role.value,
        password_hash=hash_password(password),
        active=True,
    )
    user.units = _units(session, role, unit_ids)
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str | None = None,
    role: Role | str | None = None,
    unit_ids: Iterable[int] | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> None:
    """Change an account; a change of role, units, activity or password ends the user's sessions."""
    new_role = Role(role) if role is not None else Role(user.role)
    ends_sessions = False
    if display_name is not None:
        user.display_name = display_name.strip()[:100] or user.username
    if role is not None or unit_ids is not None:
        ids = list(unit_ids) if unit_ids is not None else [u.id for u in user.units]
        if new_role is not Role.UNIT:
            ids = []
        units = _units(session, new_role, ids)
        ends_sessions |= new_role.value != user.role or {u.id for u in units} != {u.id for u in user.units}
        user.role = new_role.value
        user.units = units
    if active is not None and active != user.active:
        user.active = active
        ends_sessions = True
    if password is not None:
        if problem := password_problem(password):
            raise AuthError(problem)
        user.password_hash = hash_password(password)
        user.password_changed_at = now()
        ends_sessions = True
    if ends_sessions:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def active_admins(session: Session) -> int:
    return len(
        list(session.scalars(select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True))))
    )


# -- sign-in and its throttle -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user_id: int | None
    error: str | None = None
    locked: bool = False


def _lock_message(until: datetime, at: datetime) -> str:
    minutes = max(1, int((until - at).total_seconds() + 59) // 60)
    return f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试"


def _throttle_rows(session: Session, keys: list[str]) -> dict[str, LoginThrottle]:
    return {r.key: r for r in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))}


def authenticate(
    store: Store, username: str, password: str, client: str, at: datetime | None = None
) -> SignIn:
    at = at or now()
    name = normalise_username(username)[:64]
    limits = {f"user:{name}": USER_LIMIT, f"ip:{client}": ADDRESS_LIMIT}
    with store.session() as session:
        rows = _throttle_rows(session, list(limits))
        for row in rows.values():
            until = aware(row.locked_until)
            if until and until > at:
                return SignIn(None, _lock_message(until, at), locked=True)
        user = session.scalar(select(User).where(User.username == name)) if name else None
        ok = False
        try:
            ok = _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if user is None or not ok:
            locked_until = None
            for key, limit in limits.items():
                row = rows.get(key)
                if row is None:
                    row = LoginThrottle(key=key, failures=0, window_start=at)
                    session.add(row)
                start = aware(row.window_start)
                if start is None or at - start > WINDOW:
                    row.window_start, row.failures, row.locked_until = at, 0, None
                row.failures += 1
                if row.failures >= limit:
                    row.locked_until = locked_until = at + LOCK
            if locked_until:
                return SignIn(None, _lock_message(locked_until, at), locked=True)
            return SignIn(None, "用户名或密码错误")
        if not user.active:
            return SignIn(None, "该账号已停用，请联系管理员")
        if f"user:{name}" in rows:
            session.delete(rows[f"user:{name}"])
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = at
        return SignIn(user.id)


# -- sessions -----------------------------------------------------------------------------------------------


def start_session(store: Store, user_id: int, client: str | None) -> str:
    """A new session for the user; returns the cookie value (the only copy of the token)."""
    token = secrets.token_urlsafe(32)
    at = now()
    with store.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < at))
        session.add(
            WebSession(
                token_hash=digest(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=at,
                expires_at=at + SESSION_LIFETIME,
                last_seen_at=at,
                client=(client or "")[:64] or None,
            )
        )
    return token


def end_session(store: Store, token: str) -> None:
    with store.session() as session:
        session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))


def _principal(user: User, csrf: str | None) -> Principal:
    role = Role(user.role)
    units = tuple(user.units)
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role,
        unit_ids=frozenset(u.id for u in units) if role is Role.UNIT else None,
        unit_names=tuple(u.name for u in units),
        csrf_token=csrf,
    )


def session_principal(store: Store, token: str | None) -> Principal | None:
    if not token or len(token) > 200:
        return None
    at = now()
    with store.session() as session:
        row = session.scalar(
            select(WebSession)
            .where(WebSession.token_hash == digest(token))
            .options(joinedload(WebSession.user).selectinload(User.units))
        )
        if row is None:
            return None
        expires, seen = aware(row.expires_at), aware(row.last_seen_at)
        if expires is None or seen is None or expires <= at or seen + SESSION_IDLE <= at:
            session.delete(row)
            return None
        user = row.user
        if not user.active:
            return None
        if at - seen > TOUCH_EVERY:
            row.last_seen_at = at
        return _principal(user, row.csrf_token)


def csrf_matches(principal: Principal | None, submitted: str | None) -> bool:
    if principal is None or not principal.csrf_token or not submitted:
        return False
    return hmac.compare_digest(principal.csrf_token.encode(), submitted.encode())


# -- API tokens ----------------------------------------------------------------------------------------------


def create_api_token(session: Session, user: User, name: str) -> str:
    """A new bearer token for the user; returns it (shown once, only its hash is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name.strip()[:100] or "API",
            token_hash=digest(token),
            prefix=token[:10],
        )
    )
    return token


def revoke_api_token(session: Session, token_id: int, user_id: int | None = None) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or (user_id is not None and row.user_id != user_id) or row.revoked_at is not None:
        return False
    row.revoked_at = now()
    return True


def token_principal(store: Store, token: str | None) -> Principal | None:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    at = now()
    with store.session() as session:
        row = session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        )
        if row is None or not row.user.active:
            return None
        used = aware(row.last_used_at)
        if used is None or at - used > TOUCH_EVERY:
            row.last_used_at = at
        return _principal(row.user, None)


def user_unit_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user_id)))
