// A key-file choice as the console's signer: before anything is sent, the certificate must be of
// the kind the step needs (a signing key for documents, an AUTH key to sign in) and valid today.
import { toBase64, type BrowserSigner } from "../signer.js";
import type { KeyChoice } from "./containers.js";
import { detachedCms } from "./keys.js";

export class SignerRefusal extends Error {
  constructor(
    readonly code: "wrong_key_type" | "key_expired" | "key_not_yet_valid" | "ncalayer_unavailable" | "cancelled",
    message: string,
  ) {
    super(message);
  }
}

export function checkCertificateFor(
  cert: { purpose: string; notBefore: Date; notAfter: Date },
  purpose: "auth" | "sign",
  now = new Date(),
): void {
  if (cert.purpose !== purpose)
    throw new SignerRefusal(
      "wrong_key_type",
      purpose === "sign" ? "this is not a signing (RSA/GOST SIGN) key" : "this is not an AUTH (sign-in) key",
    );
  if (now > cert.notAfter)
    throw new SignerRefusal("key_expired", `the certificate expired on ${cert.notAfter.toISOString().slice(0, 10)}`);
  if (now < cert.notBefore) throw new SignerRefusal("key_not_yet_valid", "the certificate is not valid yet");
}

export function fileSigner(choice: KeyChoice, fileName: string): BrowserSigner {
  const c = choice.certificate;
  return {
    name: `${c.commonName} (${choice.engine.label}, ${fileName})`,
    async sign(dataBase64, purpose) {
      checkCertificateFor(c, purpose);
      const data = Uint8Array.from(atob(dataBase64), (ch) => ch.charCodeAt(0));
      return toBase64(await detachedCms(choice.engine, c, data));
    },
  };
}
