// Known-answer tests: the JS primitives give the bytes the standards publish.
//
// The interop vectors only show that JS and Python agree with each other; these show that both
// agree with RFC 8032 (Ed25519), RFC 7748 (X25519), RFC 5869 (HKDF-SHA256) and RFC 7914
// section 11 (PBKDF2-HMAC-SHA256). The values live in tests/vectors/kat.json, which
// tests/e2e/test_crypto_kat.py reads too. The checks go through static/js/crypto/bytes.js where
// it has a wrapper, and otherwise call WebCrypto the way that module does.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import {
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  importPrivate,
  pbkdf2Sha256,
  x25519,
} from "../../static/js/crypto/bytes.js";

const KAT = JSON.parse(await readFile(new URL("../vectors/kat.json", import.meta.url), "utf8"));
const subtle = globalThis.crypto.subtle;

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const ascii = (text) => new TextEncoder().encode(text);

describe("Ed25519 (RFC 8032 section 7.1)", () => {
  for (const v of KAT.ed25519) {
    test(`${v.name}: the secret key gives the published public key and signature`, async () => {
      const { privateKey, publicKey } = await importPrivate("Ed25519", fromHex(v.secret_key));
      assert.equal(toHex(publicKey), v.public_key);
      assert.equal(toHex(await ed25519Sign(privateKey, fromHex(v.message))), v.signature);
      assert.equal(await ed25519Verify(fromHex(v.public_key), fromHex(v.signature), fromHex(v.message)), true);
    });

    test(`${v.name}: an altered signature or message does not verify`, async () => {
      const flipped = fromHex(v.signature);
      flipped[0] ^= 1;
      const message = fromHex(v.message);
      assert.equal(await ed25519Verify(fromHex(v.public_key), flipped, message), false);
      const longer = Uint8Array.from([...message, 0]);
      assert.equal(await ed25519Verify(fromHex(v.public_key), fromHex(v.signature), longer), false);
    });
  }
});

describe("X25519 (RFC 7748)", () => {
  for (const v of KAT.x25519) {
    test(`${v.name}: the scalar times the u-coordinate is the published output`, async () => {
      const { privateKey } = await importPrivate("X25519", fromHex(v.scalar));
      assert.equal(toHex(await x25519(privateKey, fromHex(v.u))), v.output);
    });
  }

  test("section 6.1: the private keys give the published public keys and shared secret", async () => {
    const dh = KAT.x25519_dh;
    const alice = await importPrivate("X25519", fromHex(dh.alice_private));
    const bob = await importPrivate("X25519", fromHex(dh.bob_private));
    assert.equal(toHex(alice.publicKey), dh.alice_public);
    assert.equal(toHex(bob.publicKey), dh.bob_public);
    assert.equal(toHex(await x25519(alice.privateKey, fromHex(dh.bob_public))), dh.shared);
    assert.equal(toHex(await x25519(bob.privateKey, fromHex(dh.alice_public))), dh.shared);
  });
});

describe("HKDF-SHA256 (RFC 5869 appendix A)", () => {
  for (const v of KAT.hkdf_sha256) {
    test(`${v.name}: the published PRK and OKM; the wrapper gives the OKM's first 32 bytes`, async () => {
      const [ikm, salt, info] = [fromHex(v.ikm), fromHex(v.salt), fromHex(v.info)];
      // RFC 5869 section 2.2: no salt means HashLen zero bytes (WebCrypto refuses empty HMAC keys).
      const hmacKey = await subtle.importKey(
        "raw",
        salt.length ? salt : new Uint8Array(32),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      assert.equal(toHex(new Uint8Array(await subtle.sign("HMAC", hmacKey, ikm))), v.prk);
      const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
      const full = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, v.length * 8);
      assert.equal(toHex(new Uint8Array(full)), v.okm);
      assert.equal(toHex(await hkdfSha256(ikm, salt, info)), v.okm.slice(0, 64));
    });
  }
});

describe("PBKDF2-HMAC-SHA256 (RFC 7914 section 11)", () => {
  for (const v of KAT.pbkdf2_sha256) {
    test(`${v.name}: the published key; the wrapper gives its first 32 bytes`, async () => {
      const [password, salt] = [ascii(v.password_text), ascii(v.salt_text)];
      const key = await subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
      const full = await subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt, iterations: v.iterations },
        key,
        v.length * 8,
      );
      assert.equal(toHex(new Uint8Array(full)), v.dk);
      assert.equal(toHex(await pbkdf2Sha256(password, salt, v.iterations)), v.dk.slice(0, 64));
    });
  }
});
