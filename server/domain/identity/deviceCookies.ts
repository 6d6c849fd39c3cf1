// Device cookies (SPEC R1.4; OWASP's "device cookie" scheme): after a successful sign-in the
// browser gets a cookie binding a random nonce to the login it signed in with, authenticated by
// the installation's secret. An attempt that presents a valid one is counted against that device
// only — never locked out by failures from elsewhere, from one address or against the account —
// while attempts from unknown devices are counted per account and per address as before. Behind
// the default reverse proxy everyone shares one address; the real administrator's browser still
// signs in while an attacker floods the login with random names.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../../storage/db.js";
import { installationSecret } from "./secrets.js";

/** The installation's device-cookie secret. */
const deviceSecret = (db: Db) => installationSecret(db, "device_cookie_hmac");

const mac = (secret: Buffer, login: string, nonce: string) =>
  createHmac("sha256", secret).update(`${login.trim().toLowerCase()}\n${nonce}`).digest().subarray(0, 24);

/** A new device cookie's value for this login: `<nonce>.<mac>`, both base64url. */
export async function deviceCookieFor(db: Db, login: string): Promise<string> {
  const nonce = randomBytes(16).toString("base64url");
  return `${nonce}.${mac(await deviceSecret(db), login, nonce).toString("base64url")}`;
}

/** The device's nonce when the cookie is genuine and was issued for this login; otherwise null. */
export async function trustedDevice(db: Db, login: string, cookie: string | null | undefined): Promise<string | null> {
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{32})$/.exec(cookie ?? "");
  if (!m) return null;
  const expected = mac(await deviceSecret(db), login, m[1]);
  const given = Buffer.from(m[2], "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected) ? m[1] : null;
}

export const deviceKey = (nonce: string) => `device:${nonce}`;
