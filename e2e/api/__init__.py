"""E2E JSON endpoints (session auth, CSRF): identities and backups, encrypted rooms."""
