"""End-to-end encryption state (feature flag, public identities, key backups, room key epochs
and envelopes) arrives with the E2E issues; see docs/PROTOCOL.md for the formats."""
