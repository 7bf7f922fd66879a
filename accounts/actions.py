"""Account writes. Ending a session or revoking a token closes its open sockets
(accounts/events.py), after commit."""

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import TOKEN_START, token_digest
from accounts.checks import check_two_factor_code, normalize_code
from accounts.events import send_account_changed, send_session_ended, send_token_revoked
from accounts.models import AccessToken, AccountSettings, SessionRecord, User
from accounts.selectors import get_account_settings

RECOVERY_CODES = 10
TOKEN_DAYS = (7, 30, 90, 365)  # the lifetimes a token can be given; 30 is the default
TOKEN_NAME_MAX = 80
# A token's last use is written at most this often (not a write per request).
TOKEN_USED_EVERY = timedelta(seconds=60)
WRONG_CODE = "That code is not right. Type the 6 digits your app shows now, or a recovery code."


def do_sign_up(*, username: str, password: str, display_name: str = "") -> User:
    """Create an account; the first account on a fresh instance becomes its administrator."""
    with transaction.atomic():
        first = not User.objects.select_for_update().exists()
        user = User.objects.create_user(
            username=username,
            password=password,
            display_name=display_name,
            is_staff=first,
            is_superuser=first,
        )
    return user


def do_update_profile(user: User, *, display_name: str, appear_offline: bool | None = None) -> User:
    """Change the name other people see and, unless None, whether they see the person offline
    (their open sockets hear of it after commit and announce their presence again)."""
    user.display_name = display_name
    fields = ["display_name"]
    if appear_offline is not None:
        user.appear_offline = appear_offline
        fields.append("appear_offline")
        send_account_changed(user.pk, appear_offline=appear_offline)
    user.save(update_fields=fields)
    return user


def do_record_session(user: User, *, session_key: str, user_agent: str, ip: str | None) -> None:
    """Note that ``user``'s session ``session_key`` was just used, from this device."""
    SessionRecord.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "user_agent": user_agent[:400],
            "ip": ip,
            "last_seen": timezone.now(),
        },
    )


def _session_store(session_key: str) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def do_end_session(user: User, *, session_key: str) -> None:
    """Log ``user``'s session ``session_key`` out: delete it and its record, close its sockets.

    Also what logging out does to the current session (after Django's ``logout`` flushed it).
    """
    with transaction.atomic():
        SessionRecord.objects.filter(user=user, session_key=session_key).delete()
        _session_store(session_key).delete()
        send_session_ended(session_key)


def do_end_other_sessions(user: User, *, keep_session_key: str) -> int:
    """Log out every session of ``user`` but ``keep_session_key``; return how many ended."""
    with transaction.atomic():
        records = list(
            SessionRecord.objects.select_for_update()
            .filter(user=user)
            .exclude(session_key=keep_session_key)
        )
        for record in records:
            do_end_session(user, session_key=record.session_key)
    return len(records)


def do_end_sessions_after_password_change(
    user: User, *, old_session_key: str, new_session_key: str
) -> int:
    """After ``user`` changed their login password in the session ``old_session_key`` (which
    Django then cycled to ``new_session_key``): keep that session's record under its new key
    and log out every other session, closing its sockets at once. Return how many ended.

    Django alone would refuse the other sessions only at their next request; their open
    sockets would go on receiving messages."""
    with transaction.atomic():
        if old_session_key != new_session_key:
            SessionRecord.objects.filter(user=user, session_key=old_session_key).update(
                session_key=new_session_key
            )
        return do_end_other_sessions(user, keep_session_key=new_session_key)


def do_save_account_settings(found: AccountSettings) -> AccountSettings:
    """Save the instance's account settings (the single row)."""
    found.pk = 1
    found.save()
    return found


def do_count_failed_login(request: HttpRequest, *, username: str) -> None:
    """Count a wrong second-step code (or password) as a failed login of ``username``: the
    lockout (django-axes) counts it with the wrong passwords and logs it."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def _refuse_if_on(user: User) -> None:
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        raise ValidationError(
            "Two-factor login is already on. To use another app, turn it off first.",
            code="already_on",
        )


def do_start_two_factor_setup(user: User) -> TOTPDevice:
    """Make ``user`` a new TOTP secret, not yet in use (``do_confirm_two_factor`` turns it on);
    drop any earlier one that was never confirmed.

    Raise ValidationError if two-factor login is on: replacing the secret would otherwise need
    only a session (turning it off needs the password and a code).
    """
    with transaction.atomic():
        _refuse_if_on(user)
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def _new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with new ones (the old stop working); return them."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def do_confirm_two_factor(user: User, *, code: str, keep_session_key: str) -> list[str]:
    """Turn two-factor login on for ``user`` once ``code`` proves their app has the new secret;
    return their new recovery codes. Log out their other sessions: from now on every session of
    theirs has passed the second step.

    Raise ValidationError if there is no secret being set up, it is already on, or the code is
    wrong.
    """
    with transaction.atomic():
        pending = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if pending is None:
            raise ValidationError("Start the set-up again: there is no new secret waiting.")
        _refuse_if_on(user)
        if not pending.verify_token(normalize_code(code)):
            raise ValidationError(WRONG_CODE, code="wrong_code")
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        do_end_other_sessions(user, keep_session_key=keep_session_key)
    return codes


def do_regenerate_recovery_codes(user: User, *, code: str) -> list[str]:
    """Give ``user`` new recovery codes (the old ones stop working) if ``code`` is theirs.

    Raise ValidationError if two-factor login is off or the code is wrong.
    """
    with transaction.atomic():
        if not TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
            raise ValidationError("Two-factor login is off.")
        if not check_two_factor_code(user, code=code):
            raise ValidationError(WRONG_CODE, code="wrong_code")
        return _new_recovery_codes(user)


def do_turn_off_two_factor(user: User, *, password: str, code: str) -> None:
    """Turn two-factor login off for ``user``: their app and recovery codes stop working.

    Raise ValidationError if the login password or the code is wrong, or if ``user`` is staff
    and the administrator requires two-factor login of administrators.
    """
    with transaction.atomic():
        if user.is_staff and get_account_settings().admins_need_two_factor:
            raise ValidationError(
                "Administrators here must use two-factor login, so you cannot turn it off.",
                code="required",
            )
        if not user.check_password(password):
            raise ValidationError("That is not your login password.", code="wrong_password")
        if not check_two_factor_code(user, code=code):
            raise ValidationError(WRONG_CODE, code="wrong_code")
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def do_create_token(user: User, *, name: str, days: int) -> tuple[AccessToken, str]:
    """Give ``user`` a personal access token called ``name`` that expires in ``days`` days;
    return it and its secret, which is never stored (only its digest) and so shown only now.

    The secret is ``kr_<prefix>_<43 characters>``: 32 random bytes (256 bits) after a random
    12-character prefix that finds the row. Raise ValidationError for an empty or long name or
    a lifetime not in TOKEN_DAYS.
    """
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the token a name, such as what will use it.", code="name")
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError(f"A token name can be at most {TOKEN_NAME_MAX} characters.")
    if days not in TOKEN_DAYS:
        raise ValidationError("Choose 7, 30, 90 or 365 days.", code="days")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        digest=token_digest(secret),
        expires=timezone.now() + timedelta(days=days),
    )
    return token, secret


def do_revoke_token(token: AccessToken) -> None:
    """Revoke ``token``: it stops working at once and its open sockets close."""
    with transaction.atomic():
        AccessToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=timezone.now())
        send_token_revoked(token.pk)


def do_note_token_used(token: AccessToken) -> None:
    """Note that ``token`` was just used; written at most once per TOKEN_USED_EVERY."""
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < TOKEN_USED_EVERY:
        return
    token.last_used = now
    AccessToken.objects.filter(pk=token.pk).update(last_used=now)


def do_make_bot(user: User) -> User:
    """Make ``user`` a bot: no usable password (it cannot log in to the web pages), its
    sessions ended; it uses the API with personal access tokens only."""
    with transaction.atomic():
        user.is_bot = True
        user.set_unusable_password()
        user.save(update_fields=["is_bot", "password"])
        do_end_other_sessions(user, keep_session_key="")
    return user


def do_create_bot(*, username: str, display_name: str = "") -> User:
    """Create a bot account (``do_make_bot``). Raise ValidationError if ``username`` is not a
    valid username or is taken."""
    username = username.strip()
    User.username_validator(username)
    if len(username) > 150:
        raise ValidationError("A username can be at most 150 characters.")
    if len(display_name) > 80:
        raise ValidationError("A display name can be at most 80 characters.")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(f"The username “{username}” is taken.", code="taken")
        user = User.objects.create_user(username=username, display_name=display_name)
        return do_make_bot(user)
