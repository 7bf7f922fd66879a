"""E2E writes, and the only place in ``e2e`` that emits events (after commit)."""

from e2e.actions.identities import (
    do_confirm_password_saved,
    do_publish_identity,
    do_put_trust_record,
    do_replace_backup,
    do_reset_keys,
    do_save_e2e_settings,
)
from e2e.actions.messages import (
    do_delete_encrypted_message,
    do_edit_encrypted_message,
    do_send_encrypted_message,
)
from e2e.actions.rooms import (
    do_add_encrypted_members,
    do_append_state,
    do_create_encrypted_room,
    do_encrypt_room,
    do_open_encrypted_dm,
    do_rotate_key,
    do_set_share_history,
    do_share_keys,
)

__all__ = [
    "do_add_encrypted_members",
    "do_append_state",
    "do_confirm_password_saved",
    "do_create_encrypted_room",
    "do_delete_encrypted_message",
    "do_edit_encrypted_message",
    "do_encrypt_room",
    "do_open_encrypted_dm",
    "do_publish_identity",
    "do_put_trust_record",
    "do_replace_backup",
    "do_reset_keys",
    "do_rotate_key",
    "do_save_e2e_settings",
    "do_send_encrypted_message",
    "do_set_share_history",
    "do_share_keys",
]
