// The signature-provider seam (SPEC R3.4). Every signature the appliance checks — a CMS signer's,
// a certificate's or CRL's issuer's, an OCSP responder's, a timestamp token's — goes through
// `signatureProviders.verify`, which hands it to the first provider that supports the key:
// - KZ GOST (gost/kzProvider.ts): NCA RK's GOST 34.310-2004 and GOST 34.10-2015 256/512 keys;
// - node:crypto (OpenSSL): RSA (PKCS#1 v1.5 and PSS) and ECDSA P-256/P-384.
// Another (a PKCS#11 module of a national crypto library, say) is added by `register` without
// touching callers. Certificate parsing asks `supports` to tell "algorithm not supported by the
// installed providers" from a bad signature, so an unknown key is named clearly, never a crash.
import { constants, createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, DerError, oidOf, tlvAt } from "./der.js";
import { dstuProvider } from "./gost/dstuProvider.js";
import { kzGostProvider } from "./gost/kzProvider.js";
import {
  UnsupportedAlgorithmError,
  type PublicKeyRef,
  type SignatureProvider,
  type VerifyRequest,
} from "./provider.js";

export {
  keyParameters,
  publicKeyRef,
  SignatureFormatError,
  subjectPublicKeyBits,
  UnsupportedAlgorithmError,
} from "./provider.js";
export type { PublicKeyRef, SignatureProvider, VerifyRequest } from "./provider.js";
import { SHA2_DIGESTS } from "./oids.js";

// --- the node:crypto provider -------------------------------------------------------------------

// SHA-1 only for what others signed long ago (certificates, CRLs); SHA-2 from the shared table.
const DIGEST_NAMES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  ...Object.fromEntries(Object.entries(SHA2_DIGESTS).map(([oid, d]) => [oid, d.node])),
};
const RSA_PKCS1: Record<string, string | null> = {
  "1.2.840.113549.1.1.1": null, // rsaEncryption: the digest comes from the CMS
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};
const ECDSA: Record<string, string> = {
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};
const RSA_PSS = "1.2.840.113549.1.1.10";
const KEY_RSA = "1.2.840.113549.1.1.1";
const KEY_EC = "1.2.840.10045.2.1";
const CURVES = new Set(["1.2.840.10045.3.1.7", "1.3.132.0.34"]); // P-256, P-384

/** RSASSA-PSS-params: hash (default SHA-1) and salt length (default 20). */
function pssParameters(params: Buffer | undefined): { hash: string; saltLength: number } {
  let hash = "sha1";
  let saltLength = 20;
  if (!params || params.length === 0) return { hash, saltLength };
  const seq = tlvAt(params, 0);
  for (const field of childrenOf(params, seq)) {
    if (field.tag === 0xa0) hash = DIGEST_NAMES[oidOf(params, childrenOf(params, tlvAt(params, field.body))[0])] ?? "?";
    if (field.tag === 0xa2)
      saltLength = contentOf(params, tlvAt(params, field.body)).readUIntBE(0, Math.min(6, field.end - field.body - 2));
  }
  if (hash === "?") throw new UnsupportedAlgorithmError("unsupported RSASSA-PSS hash");
  return { hash, saltLength };
}

const keys = new Map<string, KeyObject>();
function keyOf(spki: Buffer): KeyObject {
  const id = createHash("sha256").update(spki).digest("hex");
  let k = keys.get(id);
  if (!k) {
    if (keys.size >= 5000) keys.delete(keys.keys().next().value!);
    keys.set(id, (k = createPublicKey({ key: spki, format: "der", type: "spki" })));
  }
  return k;
}

export const nodeProvider: SignatureProvider = {
  name: "node:crypto (OpenSSL): RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384",
  supports: (key) =>
    key.algorithm === KEY_RSA || key.algorithm === RSA_PSS || (key.algorithm === KEY_EC && CURVES.has(key.curve ?? "")),
  digest: (oid, data) => (DIGEST_NAMES[oid] ? createHash(DIGEST_NAMES[oid]).update(data).digest() : null),
  verify(r) {
    try {
      const key = keyOf(r.publicKey.spki); // a key that does not decode verifies nothing

      if (r.signatureAlgorithm in RSA_PKCS1) {
        const hash = RSA_PKCS1[r.signatureAlgorithm] ?? DIGEST_NAMES[r.digestAlgorithm ?? ""];
        if (!hash) throw new UnsupportedAlgorithmError(`no digest for ${r.signatureAlgorithm}`);
        return cryptoVerify(hash, r.data, key, r.signature);
      }
      if (r.signatureAlgorithm === RSA_PSS) {
        const { hash, saltLength } = pssParameters(r.signatureParameters);
        return cryptoVerify(hash, r.data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, r.signature);
      }
      if (r.signatureAlgorithm in ECDSA)
        return cryptoVerify(ECDSA[r.signatureAlgorithm], r.data, { key, dsaEncoding: "der" }, r.signature);
    } catch (err) {
      if (err instanceof UnsupportedAlgorithmError || err instanceof DerError) throw err;
      return false; // malformed signature or key material: it does not verify
    }
    throw new UnsupportedAlgorithmError(`signature algorithm ${r.signatureAlgorithm} is not supported by ${this.name}`);
  },
};

// --- the registry ---------------------------------------------------------------------------------

class ProviderRegistry {
  private providers: SignatureProvider[] = [kzGostProvider, dstuProvider, nodeProvider];

  /** Adds a provider; it is asked before the ones already there. Returns a function that removes it. */
  register(p: SignatureProvider): () => void {
    this.providers.unshift(p);
    return () => {
      this.providers = this.providers.filter((x) => x !== p);
    };
  }

  list(): string[] {
    return this.providers.map((p) => p.name);
  }

  providerFor(key: Omit<PublicKeyRef, "spki">): SignatureProvider | null {
    return this.providers.find((p) => p.supports(key)) ?? null;
  }

  supports(key: Omit<PublicKeyRef, "spki">): boolean {
    return this.providerFor(key) !== null;
  }

  /** Verifies through the provider of the key; throws UnsupportedAlgorithmError when none supports it. */
  async verify(r: VerifyRequest): Promise<boolean> {
    const p = this.providerFor(r.publicKey);
    if (!p)
      throw new UnsupportedAlgorithmError(
        `algorithm not supported by the installed providers: key ${r.publicKey.algorithm}`,
      );
    return p.verify(r);
  }

  digest(oid: string, data: Buffer): Buffer | null {
    for (const p of this.providers) {
      const d = p.digest(oid, data);
      if (d) return d;
    }
    return null;
  }
}

export const signatureProviders = new ProviderRegistry();
