// The console's key-file reader and signer (console/src/signing), run in Node: each container it
// opens is made by someone else — OpenSSL's `pkcs12 -export`, Node's crypto, jkurwa/gost89's
// Ukrainian key store — and each signature it makes is verified by someone else: OpenSSL for RSA,
// the reference GOST library and our verifier (pinned on NCA artefacts) for GOST, our DSTU verifier
// (pinned on jkurwa's signatures) for DSTU 4145.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { openKeyFiles } from "../../console/src/signing/containers.js";
import { fileSigner } from "../../console/src/signing/fileSigner.js";
import { detachedCms, KeyFileError } from "../../console/src/signing/keys.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { gostCertificate, GOST_VARIANTS, type GostVariant } from "../support/gostPki.js";
import { gostPkcs8, pkcs12Of } from "../support/keyFiles.js";
import { scratchDir } from "../support/scratch.js";
import { opensslVerifies, testSigner, removeSigner } from "../support/pki.js";

const ua = path.resolve(import.meta.dirname, "../fixtures/ua-dstu");
const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(ua, name))) });
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const verify = (cms: Uint8Array, content: Buffer) =>
  verifyDetachedCms(Buffer.from(cms), { sha256: sha(content), read: async () => content });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e) => e as KeyFileError,
  );

describe("key files in the browser", () => {
  describe("Ukrainian DSTU 4145 keys", () => {
    it("opens jkurwa's key store (PBES2, GOST 28147 CFB, HMAC GOST 34.311) with its password to the very key jkurwa decrypted", async () => {
      const { gost28147CfbDecrypt, pbkdf2Gost34311 } = await import("../../server/pki/gost/gost28147.js");
      const { unpackDke, DEFAULT_DKE } = await import("../../server/pki/gost/dstu4145.js");
      // STORE_A040.dat's own parameters (salt, 10,000 rounds, IV), read with openssl asn1parse.
      const store = readFileSync(path.join(ua, "STORE_A040.dat"));
      const salt = Buffer.from("31A58DC1462981189CF6C701E276C7553A5AB5F6E36D8418E4AA40C930CF3876", "hex");
      const iv = Buffer.from("4BB10F5C2945D49E", "hex");
      const sbox = unpackDke(DEFAULT_DKE);
      const key = pbkdf2Gost34311(Buffer.from("password"), salt, 10_000, sbox);
      const plain = gost28147CfbDecrypt(key, sbox, iv, store.subarray(store.length - 250));
      expect(Buffer.from(plain).equals(readFileSync(path.join(ua, "Key40A0.key")))).to.equal(true);
      const wrong = gost28147CfbDecrypt(
        pbkdf2Gost34311(Buffer.from("passwore"), salt, 10_000, sbox),
        sbox,
        iv,
        store.subarray(store.length - 250),
      );
      expect(Buffer.from(wrong).equals(readFileSync(path.join(ua, "Key40A0.key")))).to.equal(false);
    });

    it("opens the older IIT key store (GOST 34.311 of the password ×10,000, GOST 28147 ECB) as gost89 writes it", async () => {
      const require = createRequire(import.meta.url);
      const Gost = require("gost89/lib/gost89.js") as {
        init(): { key(k: Buffer): void; crypt(i: Buffer, o: Buffer): void };
      };
      const util = require("gost89/lib/util.js") as { dumb_kdf(pw: Buffer, n: number): Buffer };
      const { iitPasswordKey } = await import("../../server/pki/gost/gost28147.js");
      const { unpackDke, DEFAULT_DKE } = await import("../../server/pki/gost/dstu4145.js");
      const key = util.dumb_kdf(Buffer.from("Пароль-7"), 10_000);
      expect(Buffer.from(iitPasswordKey(Buffer.from("Пароль-7"), unpackDke(DEFAULT_DKE))).equals(key)).to.equal(true);
      const priv = readFileSync(path.join(ua, "PRIV1.key"));
      const padded = Buffer.concat([priv, Buffer.alloc((8 - (priv.length % 8)) % 8, 0x5a)]);
      const out = Buffer.alloc(padded.length);
      const ctx = Gost.init();
      ctx.key(key);
      ctx.crypt(padded, out);
      const tlv = (tag: number, body: Buffer) =>
        Buffer.concat([
          Buffer.from(body.length < 128 ? [tag, body.length] : [tag, 0x82, body.length >> 8, body.length & 255]),
          body,
        ]);
      const oid = Buffer.from("060c2b0601040181974601010102", "hex"); // 1.3.6.1.4.1.19398.1.1.1.2
      const store = tlv(
        0x30,
        Buffer.concat([
          tlv(
            0x30,
            Buffer.concat([
              oid,
              tlv(
                0x30,
                Buffer.concat([tlv(0x04, Buffer.from("a1b2c3d4", "hex")), tlv(0x04, out.subarray(priv.length))]),
              ),
            ]),
          ),
          tlv(0x04, out.subarray(0, priv.length)),
        ]),
      );
      const [choice] = await openKeyFiles(
        [{ name: "Key-6.dat", bytes: new Uint8Array(store) }, file("SELF_SIGNED1.cer")],
        "Пароль-7",
      );
      expect(choice.certificate.commonName).to.equal("Very Much CA");
      const e = await refusal(
        openKeyFiles([{ name: "Key-6.dat", bytes: new Uint8Array(store) }, file("SELF_SIGNED1.cer")], "Пароль-8"),
      );
      expect(e?.code).to.equal("wrong_password");
    });

    it("opens a Java KeyStore (Sun's key protector) holding the DSTU key and its certificate; jksreader reads the same file", async () => {
      const require = createRequire(import.meta.url);
      const jksreader = require("jksreader") as {
        parse(b: Buffer): { material: Array<{ key: Buffer }> } | null;
        decode(k: Buffer, pw: string): Buffer | null;
      };
      const priv = readFileSync(path.join(ua, "PRIV1.key"));
      const cert = readFileSync(path.join(ua, "SELF_SIGNED1.cer"));
      const password = "jks-pass";
      const pw = Buffer.from(password, "utf16le").swap16();
      const salt = randomBytes(20);
      const xored = Buffer.alloc(priv.length);
      let digest: Buffer = salt;
      for (let pos = 0; pos < priv.length; pos += 20) {
        digest = createHash("sha1").update(pw).update(digest).digest();
        for (let j = 0; j < 20 && pos + j < priv.length; j++) xored[pos + j] = priv[pos + j] ^ digest[j];
      }
      const protectedKey = Buffer.concat([salt, xored, createHash("sha1").update(pw).update(priv).digest()]);
      const len = (n: number) => (n < 128 ? Buffer.from([n]) : Buffer.from([0x82, n >> 8, n & 255]));
      const octets = Buffer.concat([Buffer.from([0x04]), len(protectedKey.length), protectedKey]);
      const alg = Buffer.from("300e060a2b060104012a021101010500", "hex"); // 1.3.6.1.4.1.42.2.17.1.1, NULL
      const epki = Buffer.concat([Buffer.from([0x30]), len(alg.length + octets.length), alg, octets]);
      const u32 = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
      const str = (t: string) => Buffer.concat([Buffer.from([0, t.length]), Buffer.from(t)]);
      const body = Buffer.concat([
        u32(0xfeedfeed),
        u32(2),
        u32(1),
        u32(1),
        str("key"),
        Buffer.alloc(8),
        u32(epki.length),
        epki,
        u32(1),
        str("X.509"),
        u32(cert.length),
        cert,
      ]);
      const jks = Buffer.concat([body, createHash("sha1").update(pw).update("Mighty Aphrodite").update(body).digest()]);
      const parsed = jksreader.parse(jks)!;
      expect(jksreader.decode(parsed.material[0].key, password)!.equals(priv)).to.equal(true);
      const [choice] = await openKeyFiles([{ name: "key.jks", bytes: new Uint8Array(jks) }], password);
      expect(choice.certificate.commonName).to.equal("Very Much CA");
      expect(
        (await refusal(openKeyFiles([{ name: "key.jks", bytes: new Uint8Array(jks) }], "jks-pasS")))?.code,
      ).to.equal("wrong_password");
    });

    it("a key store with the wrong password is refused as such, and a file that is no key container as such", async () => {
      const e = await refusal(openKeyFiles([file("STORE_A040.dat"), file("SELF_SIGNED_ENC_40A0.cer")], "Password"));
      expect(e?.code).to.equal("wrong_password");
      const e2 = await refusal(openKeyFiles([file("message_detached.p7")], "password"));
      expect(e2?.code).to.equal("not_a_key_file");
      const e3 = await refusal(openKeyFiles([file("PRIV1.key"), file("CA-Justice.cer")], ""));
      expect(e3?.code).to.equal("no_certificate");
    });

    it("pairs jkurwa's private key with its certificate, and its CMS verifies over the content and not over other bytes", async () => {
      const [choice, ...more] = await openKeyFiles(
        [file("PRIV1.key"), file("SELF_SIGNED1.cer"), file("CA-Justice.cer")],
        "",
      );
      expect(more).to.have.length(0);
      expect(choice.certificate.commonName).to.equal("Very Much CA");
      expect(choice.engine.label).to.equal("DSTU 4145");
      const content = Buffer.from("Акт виконаних робіт №7");
      const cms = await detachedCms(choice.engine, choice.certificate, content);
      const check = await verify(cms, content);
      expect(check.signatureAlgorithm).to.match(/DSTU 4145/);
      const other = await refusal(verify(cms, Buffer.from("Акт виконаних робіт №8")));
      expect(other).to.not.equal(null);
    });

    it("the key store's key pairs with its certificate (SELF_SIGNED_ENC_40A0) through the password", async () => {
      const choices = await openKeyFiles(
        [file("STORE_A040.dat"), file("SELF_SIGNED_ENC_40A0.cer"), file("SELF_SIGNED1.cer")],
        "password",
      );
      expect(choices.map((c) => c.certificate.commonName)).to.have.length(1);
    });
  });

  describe("PKCS#12", () => {
    it("opens what `openssl pkcs12 -export` makes (AES-256, PBKDF2) and its CMS verifies under OpenSSL; a wrong password is named", async () => {
      const signer = testSigner({ cn: "P12 Person", iin: "850314300014", roles: ["individual"] });
      try {
        const p12 = path.join(signer.dir, "person.p12");
        execFileSync(
          "openssl",
          ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", p12, "-passout", "pass:Qwerty12"],
          { cwd: signer.dir },
        );
        const f = { name: "person.p12", bytes: new Uint8Array(readFileSync(p12)) };
        const [choice] = await openKeyFiles([f], "Qwerty12");
        expect(choice.certificate.iin).to.equal("850314300014");
        expect(choice.certificate.purpose).to.equal("sign");
        const content = Buffer.from("%PDF-1.4 invoice");
        const cms = await detachedCms(choice.engine, choice.certificate, content);
        expect(opensslVerifies(signer, Buffer.from(cms), content)).to.equal(true);
        expect(opensslVerifies(signer, Buffer.from(cms), Buffer.from("%PDF-1.4 other"))).to.equal(false);
        expect((await refusal(openKeyFiles([f], "qwerty12")))?.code).to.equal("wrong_password");
        // The legacy encryption OpenSSL 1.x made is named, not mistaken for a wrong password.
        const legacy = path.join(signer.dir, "legacy.p12");
        execFileSync(
          "openssl",
          [
            "pkcs12",
            "-export",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-inkey",
            "key.pem",
            "-in",
            "cert.pem",
            "-out",
            legacy,
            "-passout",
            "pass:Qwerty12",
          ],
          { cwd: signer.dir },
        );
        const e = await refusal(
          openKeyFiles([{ name: "legacy.p12", bytes: new Uint8Array(readFileSync(legacy)) }], "Qwerty12"),
        );
        expect(e?.code).to.equal("unsupported_key");
        expect(e?.message).to.match(/legacy/);
      } finally {
        removeSigner(signer);
      }
    });

    for (const v of ["2015-512", "2015-256", "2004"] as GostVariant[]) {
      it(`a GOST ${v} PKCS#12 opens, and its CMS verifies under our verifier`, async () => {
        const ca = gostCertificate({ variant: v });
        const person = gostCertificate({ issuer: ca, cn: "GOST Person", iin: "850314300014", roles: ["individual"] });
        const meta = GOST_VARIANTS[v];
        const p12 = pkcs12Of(
          gostPkcs8(meta.key, meta.params, Buffer.from(person.key.privateKey)),
          person.der,
          "Qwerty12",
        );
        const dir = scratchDir("qujat-p12-");
        writeFileSync(path.join(dir, "gost.p12"), p12);
        const [choice] = await openKeyFiles([{ name: "gost.p12", bytes: new Uint8Array(p12) }], "Qwerty12");
        expect(choice.engine.label).to.equal(meta.label);
        const content = Buffer.from(`GOST ${v} content`);
        const cms = await detachedCms(choice.engine, choice.certificate, content);
        const check = await verify(cms, content);
        expect(check.signatureAlgorithm).to.include(meta.label);
        expect(await refusal(verify(cms, Buffer.from("other")))).to.not.equal(null);
      });
    }
  });

  it("refuses before signing: an expired certificate, an AUTH key for a document, a signing key to sign in", async () => {
    const expired = testSigner({ cn: "Expired", validFrom: "2020-01-01T00:00:00", validTo: "2021-01-01T00:00:00" });
    const auth = testSigner({ cn: "Auth", purpose: "auth" });
    try {
      const open = async (s: typeof expired) =>
        (
          await openKeyFiles(
            [
              { name: "key.pem", bytes: new Uint8Array(readFileSync(path.join(s.dir, "key.pem"))) },
              { name: "cert.pem", bytes: new TextEncoder().encode(s.certPem) },
            ],
            "",
          )
        )[0];
      const data = Buffer.from("x").toString("base64");
      const e1 = await refusal(fileSigner(await open(expired), "key.pem").sign(data, "sign"));
      expect(e1?.code).to.equal("key_expired");
      const authSigner = fileSigner(await open(auth), "key.pem");
      expect((await refusal(authSigner.sign(data, "sign")))?.code).to.equal("wrong_key_type");
      expect(await authSigner.sign(data, "auth")).to.be.a("string");
    } finally {
      removeSigner(expired);
      removeSigner(auth);
    }
  });
});
