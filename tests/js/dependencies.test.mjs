// The browser code keeps the server's dependency direction (CONVENTIONS.md, ARCHITECTURE.md
// "Browser extension points"): js/chat/ never imports js/e2e/, js/lib/ imports neither, every
// relative import names a file that exists and exports what is imported, and there is no
// import cycle (collectstatic's hashed names need none).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const JS = resolve(dirname(fileURLToPath(import.meta.url)), "../../static/js");

/** Return every .js file under ``dir`` (absolute paths). */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

// Comments are dropped first so a path named in one does not count as an import.
const stripComments = (source) => source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
const STATIC_IMPORT = /^\s*(?:import|export)\s*([\s\S]*?)\s*from\s*["']([^"']+)["']/gm;
const BARE_IMPORT = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Return the imports of ``file``: [{spec, names, target}] (target: absolute path or null). */
function importsOf(file) {
  const source = stripComments(readFileSync(file, "utf8"));
  const found = [];
  const add = (spec, clause) => {
    const target = spec.startsWith(".") ? resolve(dirname(file), spec) : null;
    found.push({ spec, clause, target });
  };
  for (const [, clause, spec] of source.matchAll(STATIC_IMPORT)) add(spec, clause);
  for (const [, spec] of source.matchAll(BARE_IMPORT)) add(spec, "");
  for (const [, spec] of source.matchAll(DYNAMIC_IMPORT)) add(spec, "*");
  return found;
}

/** Return the names a file exports (``export function f``, ``export { a as b }``, ...). */
function exportsOf(file) {
  const source = stripComments(readFileSync(file, "utf8"));
  const names = new Set();
  for (const [, name] of source.matchAll(/^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+)/gm)) {
    names.add(name);
  }
  // ``export { a as b }`` and ``export const { a, b } = ...`` (minified vendored code has its
  // ``export{...}`` after a semicolon)
  for (const [, list] of source.matchAll(/(?:^|;)export\s*(?:const\s*)?\{([^}]*)\}/gm)) {
    for (const item of list.split(",")) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  if (/^export\s*\*\s*from/m.test(source)) names.add("*");
  return names;
}

/** Return the named imports of an import clause (``{ a, b as c }`` gives a, b). */
function namedImports(clause) {
  const braces = clause.match(/\{([^}]*)\}/);
  if (!braces) return [];
  return braces[1]
    .split(",")
    .map((item) => item.trim().split(/\s+as\s+/)[0])
    .filter(Boolean);
}

const inFolder = (file, folder) => file.startsWith(join(JS, folder) + "/");
const FILES = jsFiles(JS);
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

function offenders(fromFolder, toFolders) {
  const bad = [];
  for (const [file, imports] of GRAPH) {
    if (!inFolder(file, fromFolder)) continue;
    for (const { spec, target } of imports) {
      if (target === null || toFolders.some((folder) => inFolder(target, folder))) {
        bad.push(`${relative(JS, file)} imports ${spec}`);
      }
    }
  }
  return bad;
}

test("the import parser sees the imports (it found chat -> lib ones)", () => {
  const chatToLib = [...GRAPH].filter(
    ([file, imports]) => inFolder(file, "chat") && imports.some(({ target }) => target && inFolder(target, "lib")),
  );
  assert.ok(chatToLib.length > 5);
});

test("js/chat/ never imports js/e2e/ (nor a bare module name)", () => {
  assert.deepEqual(offenders("chat", ["e2e"]), []);
});

test("js/lib/ imports neither js/chat/ nor js/e2e/", () => {
  assert.deepEqual(offenders("lib", ["chat", "e2e", "pages"]), []);
});

test("every relative import names an existing file that exports the imported names", () => {
  const bad = [];
  for (const [file, imports] of GRAPH) {
    for (const { spec, clause, target } of imports) {
      if (target === null) continue;
      if (!existsSync(target)) {
        bad.push(`${relative(JS, file)}: ${spec} does not exist`);
        continue;
      }
      const exported = exportsOf(target);
      if (exported.has("*")) continue;
      for (const name of namedImports(clause)) {
        if (!exported.has(name)) bad.push(`${relative(JS, file)}: ${spec} does not export ${name}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

// Django's ManifestStaticFilesStorage rewrites ``import ... from "./x.js";`` to hashed names with
// a regex that starts at the first "import" followed by a space or "{", comments included: an
// "import cycle" in a comment above a real import makes it skip that import, so the page loads
// the unhashed file (a second copy of the module).
const DJANGO_JS_IMPORT = /import(?=[\s{])[\s\S]*?\s*from\s*['"][./][\s\S]*?["']\s*;/g;

test('collectstatic can rewrite every import (no stray "import" word before one)', () => {
  const bad = [];
  for (const file of FILES) {
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(DJANGO_JS_IMPORT)) {
      const lineStart = source.lastIndexOf("\n", match.index) + 1;
      if (source.slice(lineStart, match.index).trim() !== "") {
        const line = source.slice(0, match.index).split("\n").length;
        bad.push(`${relative(JS, file)}:${line}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test("there is no import cycle", () => {
  const state = new Map(); // file -> "visiting" | "done"
  const cycles = [];
  const visit = (file, path) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(JS, f)).join(" -> "));
      return;
    }
    state.set(file, "visiting");
    for (const { target } of GRAPH.get(file) || []) {
      if (target && GRAPH.has(target)) visit(target, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of FILES) visit(file, []);
  assert.deepEqual(cycles, []);
});
