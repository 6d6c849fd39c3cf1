// Object identifiers the PKI code shares, and the one table of SHA-2 digests signatures may use.

/** CMS content types and attributes, digest and signature algorithms. */
export const OIDS = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  timeStampToken: "1.2.840.113549.1.9.16.2.14",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecPublicKey: "1.2.840.10045.2.1",
};

/** The SHA-2 digests we accept in signatures, timestamps and imprints: OID → node:crypto name, WebCrypto name, length. */
export const SHA2_DIGESTS: Record<string, { node: string; name: string; bytes: number }> = {
  "2.16.840.1.101.3.4.2.1": { node: "sha256", name: "SHA-256", bytes: 32 },
  "2.16.840.1.101.3.4.2.2": { node: "sha384", name: "SHA-384", bytes: 48 },
  "2.16.840.1.101.3.4.2.3": { node: "sha512", name: "SHA-512", bytes: 64 },
};
