"""E2E JSON endpoints (session auth, CSRF): identities and backups, encrypted rooms."""

from ninja import Router

from e2e.api import identities, rooms

router = Router(tags=["e2e"])
router.add_router("/", identities.router)
router.add_router("/", rooms.router)
