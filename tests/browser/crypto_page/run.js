// Run the Python-made vectors (tests/vectors/py) through static/js/crypto inside the browser,
// plus a few browser-only properties (non-extractable keys). The Playwright test reads
// `window.keyroomCryptoResults`, a promise of [{file, name, ok, error?}]. A newer file the Python
// generator has not written yet (HTTP 404) is skipped; the test compares the files that ran
// with the ones on disk.

import {
  createIdentityWithBackup,
  generateIdentity,
  importIdentitySecret,
  unlockBackup,
} from "/static/js/crypto/index.js";
import { NEWER_VECTOR_FILES, VECTOR_FILES, vectorChecks } from "/tests/vectors/check_vectors.mjs";

async function fetchBytes(url, { optional = false } = {}) {
  const response = await fetch(url);
  if (optional && response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function expectNotExportable(key) {
  if (key.extractable) throw new Error(`${key.algorithm.name} key is extractable`);
  try {
    await crypto.subtle.exportKey("pkcs8", key);
  } catch {
    return;
  }
  throw new Error(`${key.algorithm.name} key could be exported`);
}

/** Browser-only checks: unlocked keys are non-extractable CryptoKeys usable from IndexedDB. */
const BROWSER_CHECKS = [
  [
    "generated and imported keys are non-extractable",
    async () => {
      const generated = await generateIdentity("42");
      await expectNotExportable(generated.signingKey);
      await expectNotExportable(generated.agreementKey);
      const imported = await importIdentitySecret(generated.secret, "42");
      await expectNotExportable(imported.signingKey);
      await expectNotExportable(imported.agreementKey);
    },
  ],
  [
    "an unlocked backup gives non-extractable keys that survive structured cloning",
    async () => {
      const made = await createIdentityWithBackup("7", "correct horse battery staple");
      const unlocked = await unlockBackup(made.backup, "correct horse battery staple", "7");
      await expectNotExportable(unlocked.signingKey);
      await expectNotExportable(unlocked.agreementKey);
      // IndexedDB stores CryptoKeys by structured clone; the clone must still sign.
      const clone = structuredClone(unlocked.signingKey);
      await crypto.subtle.sign("Ed25519", clone, new Uint8Array(1));
      await expectNotExportable(clone);
    },
  ],
];

async function runAll() {
  const results = [];
  const record = async (file, name, fn) => {
    try {
      await fn();
      results.push({ file, name, ok: true });
    } catch (e) {
      results.push({ file, name, ok: false, error: String(e?.message ?? e) });
    }
  };
  const wordlistBytes = await fetchBytes("/static/e2e/eff_large_wordlist.txt");
  for (const file of VECTOR_FILES) {
    const optional = NEWER_VECTOR_FILES.includes(file);
    const bytes = await fetchBytes(`/tests/vectors/py/${file}`, { optional });
    if (bytes === null) continue;
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    for (const [name, fn] of await vectorChecks(doc, { wordlistBytes })) {
      await record(`py/${file}`, name, fn);
    }
  }
  for (const [name, fn] of BROWSER_CHECKS) await record("browser", name, fn);
  return results;
}

function show(results) {
  const failures = results.filter((r) => !r.ok);
  document.getElementById("status").textContent =
    `${results.length - failures.length} passed, ${failures.length} failed`;
  const list = document.getElementById("failures");
  for (const f of failures) {
    const item = document.createElement("li");
    item.textContent = `${f.file} / ${f.name}: ${f.error}`;
    list.append(item);
  }
  return results;
}

window.keyroomCryptoResults = runAll()
  .catch((e) => [{ file: "runner", name: "load", ok: false, error: String(e?.message ?? e) }])
  .then(show);
