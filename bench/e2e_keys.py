"""E2E identity benchmark: how long the user waits for their keys in Chromium.

Run from the repository root (targets: shared/PERFORMANCE.md, "Unlock"; docs/BENCHMARKS.md)::

    .venv/bin/python bench/e2e_keys.py                 # 5 repetitions
    .venv/bin/python bench/e2e_keys.py --reps 10 --json bench/results/e2e_keys.json

Setup: a fresh temporary KEYROOM_DATA_DIR (SQLite), migrations, E2E switched on, one user per
repetition with server-side sessions, and one ``daphne keyroom.asgi:application`` subprocess
serving static/ as is (``--hashed-static``: run ``collectstatic`` and serve the hashed,
import-rewritten files a deployment serves; the timings are taken after page load either way).
Then, per repetition, in Debian's Chromium (Playwright), through the real UI:

- **generate + publish**: a first visit to the app with no keys: from the banner saying
  "Generating your encryption keys…" to the banner asking to save the password (identity and
  backup made with PBKDF2-SHA256 at 600,000 iterations, published, stored in IndexedDB);
- **unlock**: a second device: from submitting the unlock dialog to the keys being unlocked
  (backup fetched, PBKDF2, keys imported as non-extractable CryptoKeys, stored);
- **change password**: My Account -> Encryption: from submitting the form to its success
  message (backup fetched, decrypted and re-encrypted: two PBKDF2 runs, then stored);
- **bare PBKDF2-600k**: ``crypto.subtle.deriveBits`` alone in the same page, the floor
  (3 samples per repetition).

The times are taken inside the page (``performance.now()`` at the submit event and when the
DOM shows the result, by an observer injected before the page's own scripts), so Playwright's
own round trips are not counted. It prints median/min/max per step. The exit status says
whether the run worked, never whether targets were met.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and the apps importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BenchError,
    Daphne,
    configure_django,
    describe_backend,
    fresh_database,
    session_cookie,
    setup_database,
)

CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TIMEOUT_MS = 30_000
NEW_PASSWORD = "benchmark passphrase with several words"
LOGIN_PASSWORD = "bench-login-password"
BARE_RUNS = 3  # bare PBKDF2 samples per repetition

# Marks taken inside the page: the submit events and the DOM showing each result.
MARKS = """
window.__e2eMarks = {};
(() => {
  const marks = window.__e2eMarks;
  const mark = (name) => { if (!(name in marks)) marks[name] = performance.now(); };
  document.addEventListener("submit", (event) => {
    if (event.target.id === "e2e-unlock-form") marks.unlockStart = performance.now();
    if (event.target.id === "e2e-change-form") marks.changeStart = performance.now();
  }, true);
  new MutationObserver(() => {
    const banner = document.getElementById("banner-e2e");
    if (banner && !banner.hidden && banner.dataset.state === "info") mark("generating");
    if (banner && !banner.hidden && banner.dataset.state === "warning") mark("saveBanner");
    if (document.documentElement.dataset.e2e === "unlocked" && marks.unlockStart) mark("unlocked");
    const status = document.getElementById("e2e-change-status");
    if (status?.classList.contains("e2e-success") && marks.changeStart) mark("changed");
  }).observe(document, { subtree: true, childList: true, attributes: true });
})();
"""

BARE_PBKDF2 = """async () => {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const start = performance.now();
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode("ten words of a generated password go in here, about sixty"),
    "PBKDF2", false, ["deriveBits"]);
  await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: 600000 }, key, 256);
  return performance.now() - start;
}"""


def make_users(count: int) -> list[tuple[int, str, str]]:
    """Create ``count`` users with E2E on; return (user id, cookie A, cookie B) for each: two
    devices (sessions) per user."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from e2e.models import E2ESettings

    E2ESettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    # One hash for all: changing the E2E password asks for the login password (attack 16).
    hashed = make_password(LOGIN_PASSWORD)
    people = []
    for index in range(count):
        user = User.objects.create(username=f"e2e-bench-{index}", password=hashed)
        people.append((user.pk, session_cookie(user), session_cookie(user)))
    return people


def new_device(browser, origin: str, cookie: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    name, value = cookie.split("=", 1)
    context.add_cookies([{"name": name, "value": value, "url": origin}])
    context.add_init_script(MARKS)
    return context, context.new_page()


def marks(page) -> dict[str, float]:
    return page.evaluate("() => window.__e2eMarks")


def one_repetition(browser, origin: str, cookies: tuple[str, str]) -> dict[str, list[float]]:
    """Run the three steps for one new user; return the times in milliseconds."""
    from playwright.sync_api import expect

    laptop_context, laptop = new_device(browser, origin, cookies[0])
    phone_context, phone = new_device(browser, origin, cookies[1])
    try:
        laptop.goto(f"{origin}/")
        banner = laptop.locator("#banner-e2e")
        expect(banner).to_contain_text("Save your encryption password", timeout=TIMEOUT_MS)
        banner.get_by_role("button", name="Show password").click()
        value = laptop.locator("#e2e-password-value")
        expect(value).not_to_be_empty()
        password = value.inner_text().strip()
        laptop.get_by_role("button", name="I have saved it").click()
        expect(banner).to_be_hidden(timeout=TIMEOUT_MS)
        made = marks(laptop)

        phone.goto(f"{origin}/")
        expect(phone.locator("html")).to_have_attribute("data-e2e", "locked", timeout=TIMEOUT_MS)
        phone.locator("#banner-e2e").get_by_role("button", name="Enter password").click()
        phone.locator("#e2e-unlock-password").fill(password)
        phone.get_by_role("button", name="Unlock", exact=True).click()
        expect(phone.locator("html")).to_have_attribute("data-e2e", "unlocked", timeout=TIMEOUT_MS)
        unlocked = marks(phone)

        phone.goto(f"{origin}/accounts/account/encryption/")
        expect(phone.locator("html")).to_have_attribute("data-e2e", "unlocked", timeout=TIMEOUT_MS)
        phone.get_by_label("Current encryption password").fill(password)
        phone.get_by_label("Choose my own password").check()
        phone.get_by_label("New encryption password").fill(NEW_PASSWORD)
        phone.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        phone.locator("#e2e-change-form").get_by_label("Your login password").fill(LOGIN_PASSWORD)
        phone.get_by_role("button", name="Change encryption password").click()
        expect(phone.locator("#e2e-change-status.e2e-success")).to_be_visible(timeout=TIMEOUT_MS)
        changed = marks(phone)

        bare = [phone.evaluate(BARE_PBKDF2) for _ in range(BARE_RUNS)]
    finally:
        laptop_context.close()
        phone_context.close()
    for name, found in (("generating", made), ("unlocked", unlocked), ("changed", changed)):
        if name not in found:
            raise BenchError(f"the page never showed {name!r}: marks {found}")
    return {
        "generate + publish": [made["saveBanner"] - made["generating"]],
        "unlock": [unlocked["unlocked"] - unlocked["unlockStart"]],
        "change password": [changed["changed"] - changed["changeStart"]],
        "bare PBKDF2-600k": bare,
    }


def summarize(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
    }


def run(options: argparse.Namespace, data_dir: Path) -> dict:
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    env = configure_django(data_dir)
    if not options.hashed_static:
        # Statics straight from static/ (WhiteNoise finders), as in the tests.
        os.environ["DJANGO_SETTINGS_MODULE"] = env["DJANGO_SETTINGS_MODULE"] = (
            "keyroom.settings_test"
        )
    setup_database()
    if options.hashed_static:
        call_command("collectstatic", interactive=False, verbosity=0)
    backend = describe_backend()
    load = os.getloadavg()[0]  # other work on the machine skews every figure
    people = make_users(options.reps)
    server = Daphne("keyroom.asgi:application", env=env, log_dir=data_dir)
    samples: dict[str, list[float]] = {}
    try:
        server.wait_ready()
        print(f"keyroom: daphne pid {server.process.pid} on port {server.port}", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"chromium {browser.version}", flush=True)
            for index, (_, *cookies) in enumerate(people, start=1):
                times = one_repetition(browser, server.origin, tuple(cookies))
                for name, values in times.items():
                    samples.setdefault(name, []).extend(values)
                line = ", ".join(
                    f"{name} {'/'.join(f'{v:.0f}' for v in values)} ms"
                    for name, values in times.items()
                )
                print(f"  repetition {index}: {line}", flush=True)
            browser.close()
    except BenchError:
        print(f"--- {server.log_path.name}\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
    figures = {name: summarize(values) for name, values in samples.items()}
    print()
    print(f"E2E keys in Chromium: {options.reps} repetitions, {backend}, load average {load:.2f}")
    print(f"{'step':<22}{'median':>10}{'min':>10}{'max':>10}")
    for name, row in figures.items():
        print(f"{name:<22}{row['median_ms']:>8.0f}ms{row['min_ms']:>8.0f}ms{row['max_ms']:>8.0f}ms")
    unlock, bare = figures["unlock"]["median_ms"], figures["bare PBKDF2-600k"]["median_ms"]
    print(
        f"unlock / bare PBKDF2: {unlock / bare:.2f}x; "
        f"target: unlock under 500 ms (shared/PERFORMANCE.md): {unlock:.0f} ms"
    )
    return {"reps": options.reps, "backend": backend, "load": load, "steps": figures}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions (one new user each)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--hashed-static",
        action="store_true",
        help="serve collectstatic's hashed files, as a deployment does (default: static/ as is)",
    )
    options = parser.parse_args(argv)
    if options.reps < 1:
        parser.error("--reps must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="keyroom-e2e-keys-") as data_dir,
            fresh_database(),
        ):
            figures = run(options, Path(data_dir))
    except BenchError as error:
        print(f"e2e_keys: {error}", file=sys.stderr)
        return 1
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
