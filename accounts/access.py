"""Permissioned fetches of account objects."""

from django.http import Http404

from accounts.models import SessionRecord, User


def access_session_by_id(user: User, record_id: int) -> SessionRecord:
    """Return ``user``'s session record ``record_id``; raise Http404 if missing or not theirs."""
    try:
        return SessionRecord.objects.get(pk=record_id, user=user)
    except SessionRecord.DoesNotExist:
        raise Http404("No such session.") from None
