// Row ids for tables that grow fast. A random (version 4) UUID puts every new row on a random page
// of each index that holds it, so under a steady stream of registrations each transaction rewrites
// a page per row per such index (in SQLite's WAL, 4 KB each, and again at the checkpoint). A
// time-ordered UUID (RFC 9562 version 7) sorts after the ones before it: new rows append to the
// same few pages. Its 74 random bits keep ids unguessable enough for what they are — names, not
// keys: every read is authorized on its own.
import { randomUUID } from "node:crypto";

/** A version 7 UUID for time `ms` (milliseconds since the epoch): 48 bits of time, then a version 4 UUID's random bits. */
export function timeOrderedId(ms: number): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: its version digit is replaced
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
