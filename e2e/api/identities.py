"""E2E JSON endpoints (session auth, CSRF). The server stores public identities and encrypted
key backups; it is never sent a password or an unwrapped private key."""

from django.http import HttpRequest, JsonResponse

from chat.checks import (
    check_id_list,
)
from chat.errors import NotFound
from chat.http import json_view
from e2e import actions
from e2e.checks import (
    check_backup,
    check_public_identity,
    check_trust_record,
)
from e2e.models import UserIdentity
from e2e.selectors import (
    get_e2e_settings,
    get_identity_for_user,
    list_identities_for_users,
    serialize_identity,
    serialize_settings,
)


def _own_identity(request: HttpRequest) -> UserIdentity:
    identity = get_identity_for_user(request.user.pk)
    if identity is None:
        raise NotFound("You have no encryption keys yet.", code="no_identity")
    return identity


@json_view("GET")
def state(request: HttpRequest) -> JsonResponse:
    """Return the E2E settings and the user's own identity state (never the backup)."""
    identity = get_identity_for_user(request.user.pk)
    return JsonResponse(
        {
            "settings": serialize_settings(get_e2e_settings()),
            "identity": identity.public if identity else None,
            "generation": identity.generation if identity else 0,
            "password_saved": identity.password_saved if identity else False,
            # When the identity last changed, by the server's clock: only the server's claim.
            "updated_at": identity.updated_at.isoformat() if identity else None,
        }
    )


@json_view("POST")
def identity(request: HttpRequest) -> JsonResponse:
    """Publish the user's first identity with its encrypted key backup."""
    public, fingerprint = check_public_identity(
        request.data.get("identity"), user_id=request.user.pk
    )
    backup = check_backup(request.data.get("backup"))
    created = actions.do_publish_identity(
        request.user, public=public, fingerprint=fingerprint, backup=backup
    )
    return JsonResponse(serialize_identity(created), status=201)


@json_view("GET", "PUT")
def backup(request: HttpRequest) -> JsonResponse:
    """GET: the user's own encrypted key backup. PUT: replace it (password change), which
    needs the login password too (``login_password``: 403 if missing or wrong, 429 after too
    many wrong ones)."""
    own = _own_identity(request)
    if request.method == "GET":
        return JsonResponse({"backup": own.backup, "generation": own.generation})
    actions.do_replace_backup(
        request.user,
        own,
        login_password=request.data.get("login_password"),
        backup=check_backup(request.data.get("backup")),
    )
    return JsonResponse({"generation": own.generation})


@json_view("POST")
def password_saved(request: HttpRequest) -> JsonResponse:
    """Record that the user saved their E2E password."""
    actions.do_confirm_password_saved(request.user, _own_identity(request))
    return JsonResponse({"password_saved": True})


@json_view("POST")
def reset(request: HttpRequest) -> JsonResponse:
    """Replace the user's identity and backup with new ones (old room keys are lost to them).

    Needs the login password (``login_password``: 403 if missing or wrong, 429 after too many
    wrong ones), so a stolen session cookie cannot replace someone's keys.
    """
    own = _own_identity(request)
    public, fingerprint = check_public_identity(
        request.data.get("identity"), user_id=request.user.pk
    )
    new_backup = check_backup(request.data.get("backup"))
    updated = actions.do_reset_keys(
        request.user,
        own,
        login_password=request.data.get("login_password"),
        public=public,
        fingerprint=fingerprint,
        backup=new_backup,
    )
    return JsonResponse(serialize_identity(updated))


@json_view("GET")
def identities(request: HttpRequest) -> JsonResponse:
    """Return the public identities of the given users (public keys are not secret).

    Browsers pin what they get here (trust on first use) and never trust a later change
    silently, so a server that lies here is caught (docs/PROTOCOL.md).
    """
    raw = [part for part in request.GET.get("ids", "").split(",") if part]
    ids = check_id_list(raw, field="ids", limit=500)
    return JsonResponse(
        {"identities": [serialize_identity(i) for i in list_identities_for_users(ids)]}
    )


@json_view("GET", "PUT")
def trust(request: HttpRequest) -> JsonResponse:
    """GET: the user's own trust record (or null) and its version. PUT: store a newer one.

    Only the owner reads or writes it (the session's user); the server cannot open it.
    """
    if request.method == "GET":
        own = _own_identity(request)
        return JsonResponse({"record": own.trust_record, "version": own.trust_version})
    record = check_trust_record(request.data.get("record"))
    stored = actions.do_put_trust_record(request.user, record=record)
    return JsonResponse({"version": stored.trust_version})
