// The cluster bus: a message to every node of the appliance, this one included. On PostgreSQL it
// is LISTEN/NOTIFY on one channel — a notice sent inside a transaction is delivered only when that
// transaction commits, and never if it rolls back, so a node that hears "session revoked" reads
// the revocation. On SQLite there is one node: messages are delivered in process.
// Each node also delivers its own messages at once (before the commit, for its own cache), and
// again when PostgreSQL echoes them (after the commit): handlers are idempotent.
// While the listening connection is down `listening` is false; what relies on the bus then falls
// back to its short expiry (auth.sessionCacheSeconds), and the connection is retried.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "../log.js";
import { isPostgres, type Db, type Tx } from "./db.js";

const CHANNEL = "qujat_cluster";
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7_900;

type Handler = (payload: any) => void | Promise<void>;

export interface ClusterBus {
  /** Sends `payload` to every node; inside `tx` it goes out when (if) tx commits. */
  publish(topic: string, payload: unknown, tx?: Tx): Promise<void>;
  subscribe(topic: string, handler: Handler): void;
  /** false while this node could miss other nodes' messages */
  readonly listening: boolean;
  /** Settles once the first attempt to listen has (whether it succeeded: `listening`). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createBus(db: Db, databaseUrl: string, logger: Logger): ClusterBus {
  const handlers = new Map<string, Set<Handler>>();
  const deliver = (topic: string, payload: unknown) => {
    for (const h of handlers.get(topic) ?? [])
      Promise.resolve()
        .then(() => h(payload))
        .catch((err) => logger.error({ err, topic }, "cluster bus: a handler failed"));
  };
  const subscribe = (topic: string, handler: Handler) => {
    if (!handlers.has(topic)) handlers.set(topic, new Set());
    handlers.get(topic)!.add(handler);
  };
  if (!isPostgres(db))
    return {
      async publish(topic, payload) {
        deliver(topic, payload);
      },
      subscribe,
      listening: true,
      ready: async () => {},
      async close() {},
    };

  const me = randomUUID();
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let backoff = 250;
  const connect = async () => {
    retry = null;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: "qujat-bus" });
    c.on("notification", (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        const m = JSON.parse(n.payload) as { t: string; p: unknown; n: string };
        deliver(m.t, m.p);
      } catch (err) {
        logger.warn({ err }, "cluster bus: an unreadable message");
      }
    });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = null;
      listening = false;
      c.end().catch(() => {});
      if (closed) return;
      logger.warn(
        { err: err?.message },
        "cluster bus: listener lost; caches fall back to their expiry until it is back",
      );
      retry = setTimeout(() => void connect(), backoff);
      retry.unref();
      backoff = Math.min(backoff * 2, 10_000);
    };
    c.on("error", lost);
    c.on("end", () => lost());
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${CHANNEL}`);
      if (client !== c) return;
      listening = true;
      backoff = 250;
      // What changed while nobody listened is unknown: every subscriber starts afresh.
      deliver("bus.reconnected", null);
    } catch (err) {
      lost(err as Error);
    }
  };
  const ready = connect();

  return {
    async publish(topic, payload, tx) {
      const body = JSON.stringify({ t: topic, p: payload, n: me });
      if (Buffer.byteLength(body) > MAX_PAYLOAD) throw new Error(`cluster bus: the ${topic} message is too large`);
      deliver(topic, payload);
      await (tx ?? db).raw("select pg_notify(?, ?)", [CHANNEL, body]);
    },
    subscribe,
    get listening() {
      return listening;
    },
    ready: () => ready.catch(() => {}),
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await ready.catch(() => {});
      const c = client;
      client = null;
      listening = false;
      await c?.end().catch(() => {});
    },
  };
}
