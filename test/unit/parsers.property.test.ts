// Property tests (fast-check): every parser of outside bytes — certificates, CMS (fast path and
// full), OCSP responses, CRLs, timestamp tokens and responses, timestamp requests to the internal
// TSA — fed random bytes and mutations of real artefacts (RSA, ECDSA, KZ GOST and UA DSTU 4145): it
// answers or refuses with a clean 4xx error, never crashes with anything else, never hangs. The
// national signature providers, fed random signatures and mutated keys, answer true or false or
// name what is wrong with their own errors.
import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { AppError, statusOf } from "../../server/errors.js";
import { certificateBlocks, parseCertificate } from "../../server/pki/certificates.js";
import { verifyDetachedCms, verifyDetachedCmsFully } from "../../server/pki/cms.js";
import { childrenOf, tlvAt } from "../../server/pki/der.js";
import { parseCrl, parseOcspResponse } from "../../server/pki/revocation.js";
import { parseTimestampResponse, parseTimestampToken } from "../../server/pki/tsa.js";
import { DerError } from "../../server/pki/der.js";
import {
  publicKeyRef,
  SignatureFormatError,
  signatureProviders,
  UnsupportedAlgorithmError,
} from "../../server/pki/providers.js";
import { gostCertificate, gostCms } from "../support/gostPki.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/nca-test");
const fixture = (rel: string) => readFileSync(path.join(fixtures, rel));
const uaFixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, "../fixtures/ua-dstu", name));
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

/** Resolves, or rejects with an AppError of status 400-499; anything else (or taking over 3 s) fails the property. */
async function clean(run: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("hang: no answer within 3 s")), 3000);
  });
  try {
    await Promise.race([run(), hang]);
    return true;
  } catch (err) {
    if (err instanceof AppError && statusOf(err) >= 400 && statusOf(err) < 500) return true;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A real artefact, mutated: bytes flipped, cut short, spliced, or a length byte changed. */
const mutated = (samples: Buffer[]) =>
  fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.oneof(fc.constant(null), fc.nat()),
    )
    .map(([sample, flips, cut]) => {
      const b = Buffer.from(sample);
      for (const [at, v] of flips) b[at % b.length] = v;
      return cut === null ? b : b.subarray(0, cut % (b.length + 1));
    });
const randomBytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
/** Random bytes that start like DER (a SEQUENCE with some length), to get past the first check. */
const derLike = fc
  .tuple(fc.integer({ min: 0, max: 0x84 }), fc.uint8Array({ maxLength: 400 }))
  .map(([len, rest]) => Buffer.concat([Buffer.from([0x30, len]), Buffer.from(rest)]));

describe("parsers under random and mutated input (fast-check)", function () {
  this.timeout(120_000);
  let signer: TestSigner;
  let cmsSamples: Buffer[];
  const content = Buffer.from("property content");
  const signed = { sha256: createHash("sha256").update(content).digest("hex"), read: async () => content };

  before(() => {
    signer = testSigner({ key: "rsa" });
    const ec = testSigner({ key: "ec" });
    const gost = (variant: "2004" | "2015-256" | "2015-512") =>
      gostCms(gostCertificate({ issuer: gostCertificate({ variant }), iin: "880101300123" }), content);
    cmsSamples = [
      signer.sign(content),
      signer.sign(content, { noattr: true }),
      ec.sign(content),
      signer.sign(content, { pss: true }),
      gost("2004"),
      gost("2015-256"),
      gost("2015-512"),
      uaFixture("message_detached.p7"),
    ];
    removeSigner(ec);
  });
  after(() => removeSigner(signer));

  const certificates = [
    fixture("certs/individual_valid_sign_2004_rsa.cer"),
    fixture("certs/ceo_valid_sign_2004_gost.cer"),
    fixture("ca/nca_rsa_test.crt"),
    fixture("ca/nca_gost2015_test.cer"),
    uaFixture("CZOROOT.cer"),
    uaFixture("SELF_SIGNED1.cer"),
  ].flatMap((b) => certificateBlocks(b));

  it("certificates", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(certificates), randomBytes, derLike), (b) => clean(() => parseCertificate(b))),
      { numRuns: RUNS },
    );
  });

  it("detached CMS, the fast path and the full one", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(cmsSamples), randomBytes, derLike), async (b) => {
        expect(await clean(() => verifyDetachedCms(b, signed))).to.equal(true);
        return clean(() => verifyDetachedCmsFully(b, signed));
      }),
      { numRuns: RUNS },
    );
  });

  it("OCSP responses and CRLs", async () => {
    const ocsp = ["ocsp_response_individual_sign_2004.bin", "ocsp_response_ceo_sign_2004_revoked.bin"].map((f) =>
      fixture(`ocsp/${f}`),
    );
    const crls = [fixture("crl/nca_gost2022_test.crl"), fixture("crl/nca_gost_test.crl")];
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(ocsp), randomBytes, derLike), (b) => clean(() => parseOcspResponse(b))),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(crls), randomBytes, derLike), (b) => clean(() => parseCrl(b))),
      { numRuns: RUNS },
    );
  });

  it("timestamp tokens and responses", async () => {
    const tokens = [fixture("tsp/tsp_token.bin")];
    const responses = [fixture("tsp/tsp_response.bin")];
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(tokens), randomBytes, derLike), (b) => clean(() => parseTimestampToken(b))),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(responses), randomBytes, derLike), (b) =>
        clean(() => parseTimestampResponse(b)),
      ),
      { numRuns: RUNS },
    );
  });

  it("the KZ GOST and UA DSTU providers: random signatures and mutated keys give true, false or a named refusal", async () => {
    const keyed = [
      fixture("ca/nca_gost_test.crt"),
      fixture("ca/nca_gost2015_test.cer"),
      uaFixture("CZOROOT.cer"),
      uaFixture("SELF_SIGNED1.cer"),
    ];
    const spkis = await Promise.all(
      keyed.map(async (b) => {
        const c = await parseCertificate(certificateBlocks(b)[0]);
        return {
          spki: Buffer.from(c.cert.subjectPublicKeyInfo.toSchema().toBER(false)),
          algorithm: c.cert.signatureAlgorithm.algorithmId,
        };
      }),
    );
    const named = (err: unknown) =>
      err instanceof SignatureFormatError || err instanceof UnsupportedAlgorithmError || err instanceof DerError;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...spkis),
        mutated(spkis.map((s) => s.spki)),
        fc.uint8Array({ maxLength: 140 }),
        fc.boolean(),
        async (k, spki, sig, mutateKey) => {
          let timer: NodeJS.Timeout | undefined;
          const hang = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("hang: no answer within 3 s")), 3000);
          });
          try {
            const key = mutateKey ? spki : k.spki;
            const r = await Promise.race([
              signatureProviders.verify({
                publicKey: publicKeyRef(key),
                signatureAlgorithm: k.algorithm,
                data: Buffer.from("x"),
                signature: Buffer.from(sig),
              }),
              hang,
            ]);
            expect(typeof r).to.equal("boolean");
          } catch (err) {
            if (!named(err)) throw err;
          } finally {
            clearTimeout(timer);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("the DER reader throws only its own error and never reads past the end", () => {
    fc.assert(
      fc.property(fc.oneof(mutated(cmsSamples), randomBytes, derLike), (b) => {
        try {
          const t = tlvAt(b, 0);
          expect(t.end).to.be.at.most(b.length);
          if (t.tag & 0x20) for (const c of childrenOf(b, t)) expect(c.end).to.be.at.most(t.end);
        } catch (err) {
          expect((err as Error).constructor.name).to.equal("DerError");
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
