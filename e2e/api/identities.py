"""E2E JSON endpoints (session auth, CSRF). The server stores public identities and encrypted
key backups; it is never sent a password or an unwrapped private key."""

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from chat.checks import check_id_list
from chat.errors import NotFound
from chat.schemas import NoBody
from e2e import actions
from e2e.checks import (
    check_backup,
    check_public_identity,
    check_trust_record,
)
from e2e.models import UserIdentity
from e2e.schemas import BackupReplace, IdentitiesQuery, IdentityPublish, IdentityReset, TrustPut
from e2e.selectors import (
    get_e2e_settings,
    get_identity_for_user,
    list_identities_for_users,
    serialize_identity,
    serialize_settings,
)

router = Router()


def _own_identity(request: HttpRequest) -> UserIdentity:
    identity = get_identity_for_user(request.user.pk)
    if identity is None:
        raise NotFound("You have no encryption keys yet.", code="no_identity")
    return identity


@router.get("/", url_name="e2e_state")
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


@router.post("/identity/", url_name="e2e_identity")
def identity(request: HttpRequest, data: IdentityPublish) -> JsonResponse:
    """Publish the user's first identity with its encrypted key backup (201)."""
    public, fingerprint = check_public_identity(data.identity, user_id=request.user.pk)
    backup = check_backup(data.backup)
    created = actions.do_publish_identity(
        request.user, public=public, fingerprint=fingerprint, backup=backup
    )
    return JsonResponse(serialize_identity(created), status=201)


@router.get("/backup/", url_name="e2e_backup")
def backup(request: HttpRequest) -> JsonResponse:
    """The user's own encrypted key backup."""
    own = _own_identity(request)
    return JsonResponse({"backup": own.backup, "generation": own.generation})


@router.put("/backup/", url_name="e2e_backup")
def replace_backup(request: HttpRequest, data: BackupReplace) -> JsonResponse:
    """Replace the backup (password change), which needs the login password too
    (``login_password``: 403 if missing or wrong, 429 after too many wrong ones)."""
    own = _own_identity(request)
    actions.do_replace_backup(
        request.user,
        own,
        login_password=data.login_password,
        backup=check_backup(data.backup),
    )
    return JsonResponse({"generation": own.generation})


@router.post("/password-saved/", url_name="e2e_password_saved")
def password_saved(request: HttpRequest, data: NoBody) -> JsonResponse:
    """Record that the user saved their E2E password."""
    actions.do_confirm_password_saved(request.user, _own_identity(request))
    return JsonResponse({"password_saved": True})


@router.post("/reset/", url_name="e2e_reset")
def reset(request: HttpRequest, data: IdentityReset) -> JsonResponse:
    """Replace the user's identity and backup with new ones (old room keys are lost to them).

    Needs the login password (``login_password``: 403 if missing or wrong, 429 after too many
    wrong ones), so a stolen session cookie cannot replace someone's keys.
    """
    own = _own_identity(request)
    public, fingerprint = check_public_identity(data.identity, user_id=request.user.pk)
    new_backup = check_backup(data.backup)
    updated = actions.do_reset_keys(
        request.user,
        own,
        login_password=data.login_password,
        public=public,
        fingerprint=fingerprint,
        backup=new_backup,
    )
    return JsonResponse(serialize_identity(updated))


@router.get("/identities/", url_name="e2e_identities")
def identities(request: HttpRequest, query: Query[IdentitiesQuery]) -> JsonResponse:
    """Return the public identities of the given users (public keys are not secret).

    Browsers pin what they get here (trust on first use) and never trust a later change
    silently, so a server that lies here is caught (docs/PROTOCOL.md).
    """
    raw = [part for part in query.ids.split(",") if part]
    ids = check_id_list(raw, field="ids", limit=500)
    return JsonResponse(
        {"identities": [serialize_identity(i) for i in list_identities_for_users(ids)]}
    )


@router.get("/trust/", url_name="e2e_trust")
def trust(request: HttpRequest) -> JsonResponse:
    """The user's own trust record (or null) and its version.

    Only the owner reads or writes it (the session's user); the server cannot open it.
    """
    own = _own_identity(request)
    return JsonResponse({"record": own.trust_record, "version": own.trust_version})


@router.put("/trust/", url_name="e2e_trust")
def put_trust(request: HttpRequest, data: TrustPut) -> JsonResponse:
    """Store a newer trust record (its version counter is checked under the row lock)."""
    record = check_trust_record(data.record)
    stored = actions.do_put_trust_record(request.user, record=record)
    return JsonResponse({"version": stored.trust_version})
