// A simulated NCALayer — the NCA RK's desktop signing agent cannot run here — speaking its local
// WebSocket protocol as the npm client `ncalayer-js-client` 1.5 expects it: on connect it sends
// {"result":{"version"}}; a commonUtils-style request to a module it lacks answers
// {"code":"500"}; `kz.gov.pki.knca.basics` `sign` with format "cms" answers
// {"status":true,"body":{"result":[cms]}}, a cancel {"status":true,"body":{}}, a failure
// {"status":false,"code","message","details"}. The key the "person picks" is set by the test; it
// signs with OpenSSL (RSA, `openssl cms -sign`) or the reference GOST library (GOST 2015).
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export type SimulatedKey = { label: string; sign(content: Buffer): Buffer };

export interface SimulatedNcalayer {
  url: string;
  /** the key the person picks in NCALayer's window for the next requests; null: he cancels */
  pick(key: SimulatedKey | null): void;
  /** every basics.sign request, as received */
  requests: Array<{
    allowedStorages: unknown;
    signingParams: Record<string, unknown>;
    signerParams: { extKeyUsageOids: string[] };
  }>;
  close(): Promise<void>;
}

export async function simulatedNcalayer(): Promise<SimulatedNcalayer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => server.once("listening", () => r()));
  let key: SimulatedKey | null = null;
  const requests: SimulatedNcalayer["requests"] = [];
  server.on("connection", (ws: WebSocket) => {
    ws.send(JSON.stringify({ result: { version: "1.4" } }));
    ws.on("message", (raw) => {
      const req = JSON.parse(String(raw)) as { module: string; method: string; args?: Record<string, unknown> };
      if (req.module !== "kz.gov.pki.knca.basics" || req.method !== "sign") {
        ws.send(JSON.stringify({ code: "500", message: `module ${req.module} is not available` }));
        return;
      }
      const args = req.args as {
        format: string;
        data: string | string[];
        allowedStorages: unknown;
        signingParams: Record<string, unknown>;
        signerParams: { extKeyUsageOids: string[] };
      };
      requests.push({
        allowedStorages: args.allowedStorages,
        signingParams: args.signingParams,
        signerParams: args.signerParams,
      });
      if (args.format !== "cms" || args.signingParams.encapsulate !== false || args.signingParams.decode !== true) {
        ws.send(JSON.stringify({ status: false, code: "400", message: "bad request", details: "format" }));
        return;
      }
      if (!key) {
        ws.send(JSON.stringify({ status: true, body: {} }));
        return;
      }
      const docs = Array.isArray(args.data) ? args.data : [args.data];
      const result = docs.map((d) => key!.sign(Buffer.from(d, "base64")).toString("base64"));
      ws.send(JSON.stringify({ status: true, body: { result } }));
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pick(k) {
      key = k;
    },
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
