// The signer interface the console signs through (sign-in challenges, documents): the one the
// person chose in this tab (a key file or NCALayer, signing/session.ts), else a token bridge's
// `window.qujatSigner`. Data crosses as base64; the result is a detached CMS (DER, base64).
import { chosenSigner, touchSigner } from "./signing/session.js";

export interface BrowserSigner {
  /** a label for the person: which key or token will sign */
  name: string;
  sign(dataBase64: string, purpose: "auth" | "sign"): Promise<string>;
}

declare global {
  interface Window {
    qujatSigner?: BrowserSigner;
  }
}

export const browserSigner = (): BrowserSigner | null => {
  const chosen = chosenSigner();
  if (chosen) {
    touchSigner();
    return chosen;
  }
  return window.qujatSigner ?? null;
};

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
