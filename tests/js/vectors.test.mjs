// Interop: the JS implementation checks the vectors made by Python (tests/vectors/py) and by
// itself (tests/vectors/js), and the JS generator still reproduces tests/vectors/js exactly.

import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import { NEWER_VECTOR_FILES, VECTOR_FILES, vectorChecks } from "../vectors/check_vectors.mjs";
import { buildVectors } from "../vectors/make_js_vectors.mjs";

const VECTORS = new URL("../vectors/", import.meta.url);
const wordlistBytes = new Uint8Array(
  await readFile(new URL("../../static/e2e/eff_large_wordlist.txt", import.meta.url)),
);
const load = async (dir, name) => JSON.parse(await readFile(new URL(`${dir}/${name}`, VECTORS), "utf8"));
const exists = (dir, name) =>
  access(new URL(`${dir}/${name}`, VECTORS)).then(
    () => true,
    () => false,
  );

for (const [dir, generator] of [
  ["py", "python"],
  ["js", "js"],
]) {
  for (const name of VECTOR_FILES) {
    // The other generator may not have written a newer file yet; the JS set always has them.
    if (dir === "py" && NEWER_VECTOR_FILES.includes(name) && !(await exists(dir, name))) {
      test(`${dir}/${name} (not written yet)`, { skip: "no Python vectors yet" }, () => {});
      continue;
    }
    const doc = await load(dir, name);
    describe(`${dir}/${name}`, async () => {
      test("was made by the expected generator and has negative vectors where due", () => {
        assert.equal(doc.generator, generator);
        assert.equal(doc.kind, name.replace(/\.json$/, ""));
        const negative = doc.kind === "roomstate" ? doc.negative : doc.invalid;
        if (!["encoding", "password"].includes(doc.kind)) assert.ok(negative.length > 0);
      });
      for (const [checkName, run] of await vectorChecks(doc, { wordlistBytes })) {
        test(checkName, run);
      }
    });
  }
}

test("make_js_vectors.mjs reproduces tests/vectors/js exactly (deterministic)", async () => {
  const built = await buildVectors();
  assert.deepEqual(Object.keys(built).sort(), [...VECTOR_FILES].sort());
  for (const name of VECTOR_FILES) {
    assert.deepStrictEqual(JSON.parse(JSON.stringify(built[name])), await load("js", name), name);
  }
});

test("the Python and JS vector sets use different fixed inputs", async () => {
  const py = await load("py", "identity.json");
  const js = await load("js", "identity.json");
  assert.notEqual(py.valid[0].secret_hex, js.valid[0].secret_hex);
});
