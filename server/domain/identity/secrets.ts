// Password hashing (argon2id), the password policy, opaque tokens and TOTP.
import argon2 from "argon2";
import { createHash, randomBytes } from "node:crypto";
import { generate, generateSecret, generateURI, verify } from "otplib";
import type { Db } from "../../storage/db.js";
import type { Config } from "../../config/index.js";

export type Argon2Cost = Config["auth"]["argon2"];

export const hashPassword = (password: string, cost: Argon2Cost) =>
  argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: cost.memoryKiB,
    timeCost: cost.timeCost,
    parallelism: cost.parallelism,
  });

export const verifyPassword = async (hash: string | null, password: string) => {
  if (!hash) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
};

// A fixed hash to verify against when the login does not exist, so timing does not tell.
let dummyHash: Promise<string> | null = null;
export const verifyDummy = async (password: string, cost: Argon2Cost) => {
  dummyHash ??= hashPassword("dummy-Password-1!", cost);
  await verifyPassword(await dummyHash, password);
  return false;
};

/** SPEC R1.4 [000 §10.2]: the rules a new password breaks, as stable codes (empty = acceptable). */
export function passwordProblems(
  password: string,
  minLength: number,
  forbidden: Array<string | null | undefined>,
): string[] {
  const problems: string[] = [];
  if (password.length < minLength) problems.push("too_short");
  if (!/[a-zа-яёәғқңөұүһі]/u.test(password)) problems.push("no_lowercase");
  if (!/[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]/u.test(password)) problems.push("no_uppercase");
  if (!/\d/.test(password)) problems.push("no_digit");
  if (!/[^\p{L}\p{N}\s]/u.test(password)) problems.push("no_symbol");
  const lower = password.toLowerCase();
  if (forbidden.some((f) => f && lower === f.toLowerCase())) problems.push("equals_identity");
  return problems;
}

export const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
export const newToken = (prefix = "") => prefix + randomBytes(32).toString("base64url");

/** Derived per session, so it needs no storage; only the holder of the session token can know it. */
export const csrfTokenFor = (sessionToken: string) =>
  createHash("sha256")
    .update("csrf\0" + sessionToken)
    .digest("base64url")
    .slice(0, 32);

export function newRecoveryCodes(n: number): string[] {
  return Array.from({ length: n }, () => {
    const raw = randomBytes(8).toString("hex").slice(0, 10);
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}
export const normalizeRecoveryCode = (c: string) =>
  c
    .trim()
    .toLowerCase()
    .replace(/[^0-9a-f]/g, "");

export const newTotpSecret = () => generateSecret();
export const totpUri = (issuer: string, label: string, secret: string) => generateURI({ issuer, label, secret });
export const totpCode = (secret: string, at: Date) => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });

export async function totpValid(secret: string, token: string, at: Date, windowSteps: number): Promise<boolean> {
  if (!/^\d{6}$/.test(token)) return false;
  try {
    const r = await verify({ secret, token, epoch: Math.floor(at.getTime() / 1000), epochTolerance: windowSteps * 30 });
    return r.valid;
  } catch {
    return false;
  }
}

const installationSecrets = new WeakMap<object, Map<string, Promise<Buffer>>>();
/**
 * One of this installation's secrets (`app_secrets`, made by the migrations), read once per
 * process and database; a failed read is tried again next time.
 */
export function installationSecret(db: Db, name: string): Promise<Buffer> {
  let byName = installationSecrets.get(db);
  if (!byName) installationSecrets.set(db, (byName = new Map()));
  let s = byName.get(name);
  if (!s) {
    s = db("app_secrets")
      .where({ name })
      .first("value")
      .then((r) => Buffer.from(r.value, "hex"));
    s.catch(() => byName.delete(name));
    byName.set(name, s);
  }
  return s;
}
