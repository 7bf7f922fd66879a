"""Sealing a room key to many members in Chromium (E2E part 3: a rotation or a big add).

Run from the repository root::

    .venv/bin/python bench/seal_keys.py              # 500 members, 3 repetitions
    .venv/bin/python bench/seal_keys.py --members 500 --reps 5

Setup: a fresh temporary KEYROOM_DATA_DIR (SQLite), E2E on, ``--members`` users with published
identities (made in Python with e2e.crypto, inserted through the ORM for speed), one encrypted
room holding them all whose owner holds the current key, and one daphne subprocess. Then in
Debian's Chromium, inside the owner's page (the page's own modules: crypto/index.js and the E2E
API client), per repetition:

- **lookup + verify**: GET /api/e2e/identities/ for every member, each self-signature verified;
- **seal**: the new room key sealed to every member (the same batched path as rooms_sharing.js);
- **post**: POST /api/e2e/rooms/<id>/rotate/ with every envelope, in ONE request.

Times are taken with ``performance.now()`` in the page and printed per step, with the total.
Target (docs/BENCHMARKS.md): under 1 s in all. The exit status says whether the run worked.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Daphne, configure_django, setup_database

CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

# One repetition in the page: lookup + verify, seal, post. Returns the times in ms.
IN_PAGE = """async ({roomId, roomUid, memberIds, ownerId}) => {
  const c = await import("/static/js/crypto/index.js");
  const api = await import("/static/js/e2e/api.js");
  const me = await c.generateIdentity(String(ownerId));
  const t0 = performance.now();
  const {identities} = await api.getIdentities(memberIds);
  const verified = await Promise.all(identities.map(
    (item) => c.verifyPublicIdentity(item.identity, String(item.user_id)).then(() => item)));
  const t1 = performance.now();
  const key = c.generateRoomKey();
  const envelopes = [];
  const all = [...verified, {user_id: ownerId, identity: me.publicIdentity}];
  for (let i = 0; i < all.length; i += 50) {
    const batch = all.slice(i, i + 50);
    envelopes.push(...await Promise.all(batch.map(async (item) => ({
      recipient_id: Number(item.user_id),
      envelope: await c.sealEnvelope(key.key, {roomId: roomUid, keyId: key.keyId,
        senderId: String(ownerId), recipientId: String(item.user_id),
        recipientDhPublicKey: c.b64uDecode(item.identity.x25519), signingKey: me.signingKey}),
    }))));
    await new Promise((r) => setTimeout(r, 0));
  }
  const t2 = performance.now();
  const keys = await api.getRoomKeys(roomId);
  const t2b = performance.now();
  await api.rotateKey(roomId, {replaces_key_id: keys.current_key_id, key_id: key.keyId, envelopes});
  const t3 = performance.now();
  return {lookup: t1 - t0, seal: t2 - t1, post: t3 - t2b, total: (t1 - t0) + (t2 - t1) + (t3 - t2b),
          envelopes: envelopes.length};
}"""


def seed(count: int) -> dict:
    """Users with identities, one encrypted room; return what the page needs."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from chat.models import Membership, Room
    from e2e import crypto
    from e2e.models import E2ESettings, EncryptedRoom, KeyEnvelope, RoomKey, UserIdentity

    E2ESettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    password = make_password(None)
    owner = User.objects.create(username="seal-owner", password=password)
    users = User.objects.bulk_create(
        User(username=f"seal-{i}", password=password) for i in range(count)
    )
    users = list(User.objects.filter(username__startswith="seal-").exclude(pk=owner.pk))
    backup = {"v": 1}
    identities = []
    for user in [owner, *users]:
        identities.append(
            UserIdentity(
                user=user,
                public=crypto.generate_identity(str(user.pk)).public_identity,
                backup=backup,
            )
        )
    UserIdentity.objects.bulk_create(identities)
    room = Room.objects.create(name="big-vault", kind="group", owner=owner, encrypted=True)
    Membership.objects.bulk_create(Membership(room=room, user=u) for u in [owner, *users])
    key = RoomKey.objects.create(
        room=room, key_id=crypto.generate_room_key().key_id, created_by=owner, epoch=1
    )
    KeyEnvelope.objects.create(key=key, recipient=owner, sender=owner, envelope={"v": 1})
    EncryptedRoom.objects.create(room=room, current_key=key, encrypted_by=owner)
    return {
        "owner": owner,
        "args": {
            "roomId": room.pk,
            "roomUid": str(room.uid),
            "memberIds": [u.pk for u in users],
            "ownerId": owner.pk,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="keyroom-seal-"))
    env = configure_django(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = env["DJANGO_SETTINGS_MODULE"] = "keyroom.settings_test"
    setup_database()
    seeded = seed(options.members)
    from bench.harness import session_cookie

    cookie = session_cookie(seeded["owner"])
    server = Daphne("keyroom.asgi:application", env=env, log_dir=data_dir)
    results: list[dict] = []
    try:
        server.wait_ready()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"chromium {browser.version}; {options.members} members", flush=True)
            context = browser.new_context()
            name, value = cookie.split("=", 1)
            context.add_cookies([{"name": name, "value": value, "url": server.origin}])
            page = context.new_page()
            page.goto(f"{server.origin}/accounts/account/")
            for index in range(1, options.reps + 1):
                times = page.evaluate(IN_PAGE, seeded["args"])
                results.append(times)
                print(
                    f"  repetition {index}: lookup+verify {times['lookup']:.0f} ms, "
                    f"seal {times['seal']:.0f} ms, post {times['post']:.0f} ms "
                    f"({times['envelopes']} envelopes, one request), total {times['total']:.0f} ms",
                    flush=True,
                )
            browser.close()
    finally:
        server.stop()
    for step in ("lookup", "seal", "post", "total"):
        values = [r[step] for r in results]
        print(
            f"{step:>7}: median {statistics.median(values):.0f} ms, "
            f"min {min(values):.0f}, max {max(values):.0f}"
        )


if __name__ == "__main__":
    main()
