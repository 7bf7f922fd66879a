#!/usr/bin/env node
// Vendor third-party browser code under static/vendor/<name>-<version>/ (docs/ARCHITECTURE.md
// "Vendored code"): fetch the package's tarball from the npm registry with `npm pack`, refuse it
// unless its SHA-256 is the one pinned here, and copy the listed files and the licence. No build
// step: the app imports the copied ES module as it is.
//
//   node scripts/vendor.mjs            # (re)write every package below
//   node scripts/vendor.mjs --check    # only check that the copies match the pinned tarballs
//
// To upgrade: change `version`, run it once with KEYROOM_VENDOR_TRUST_NEW=1 (it prints the new
// tarball's hash instead of refusing), read the package's changes, pin the printed hash, run it
// again, and point the importing modules (static/js/chat/markdown_ui.js, search_rank.js) at the new folder.

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const PACKAGES = [
  {
    name: "marked",
    version: "18.2.1",
    // SHA-256 of marked-18.2.1.tgz as the npm registry serves it.
    sha256: "d66c5213fc203466186060105b01f51896764ba64b3797d2620d02e28e34b8ca",
    // The ES module build (its source map too: collectstatic follows its sourceMappingURL).
    files: ["lib/marked.esm.js", "lib/marked.esm.js.map", "LICENSE"],
  },
  {
    // Full-text search of encrypted rooms on the device (static/js/chat/search_rank.js,
    // static/js/e2e/search/): tokeniser, BM25 ranking, prefix and fuzzy matching.
    name: "minisearch",
    version: "7.2.0",
    // SHA-256 of minisearch-7.2.0.tgz as the npm registry serves it.
    sha256: "cb3b8126a3ea65d6b387787294f0792b0ea4a40b70f8f37688066a5638e0218a",
    files: ["dist/es/index.js", "dist/es/index.js.map", "LICENSE.txt"],
  },
];

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function fetchTarball(pkg, workDir) {
  const out = execFileSync("npm", ["pack", `${pkg.name}@${pkg.version}`, "--json", "--pack-destination", workDir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [{ filename }] = JSON.parse(out);
  const tarball = join(workDir, filename);
  const hash = sha256(tarball);
  if (hash !== pkg.sha256) {
    if (process.env.KEYROOM_VENDOR_TRUST_NEW === "1") {
      console.log(`${pkg.name}@${pkg.version}: tarball sha256 ${hash} (pin it in scripts/vendor.mjs)`);
    } else {
      throw new Error(`${pkg.name}@${pkg.version}: tarball sha256 is ${hash}, expected ${pkg.sha256}; refusing it`);
    }
  }
  execFileSync("tar", ["-xzf", tarball, "-C", workDir]);
  return join(workDir, "package");
}

function vendor(pkg, { check }) {
  const workDir = mkdtempSync(join(tmpdir(), "keyroom-vendor-"));
  try {
    const unpacked = fetchTarball(pkg, workDir);
    const target = join(ROOT, "static", "vendor", `${pkg.name}-${pkg.version}`);
    let differ = 0;
    for (const file of pkg.files) {
      const from = join(unpacked, file);
      const to = join(target, file.split("/").at(-1));
      if (check) {
        if (!existsSync(to) || sha256(to) !== sha256(from)) {
          console.error(`${to}: differs from ${pkg.name}@${pkg.version}'s ${file}`);
          differ += 1;
        }
        continue;
      }
      mkdirSync(target, { recursive: true });
      copyFileSync(from, to);
      console.log(`${pkg.name}@${pkg.version}: ${file} -> ${to.slice(ROOT.length + 1)}`);
    }
    return differ;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const check = process.argv.includes("--check");
let problems = 0;
for (const pkg of PACKAGES) problems += vendor(pkg, { check });
if (check) console.log(problems ? `${problems} vendored file(s) differ` : "vendored files match the pinned tarballs");
process.exit(problems ? 1 : 0);
