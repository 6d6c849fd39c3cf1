// The signer interface the console signs through (sign-in challenges, documents). A token's
// middleware bridge installs `window.qujatSigner`; the browser suite installs a software key that
// stands in for the token. Data crosses as base64; the result is a detached CMS (DER, base64).
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

export const browserSigner = (): BrowserSigner | null => window.qujatSigner ?? null;

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
