// Starts a worker thread from TypeScript source: tests and benches run the server under tsx, whose
// loader a worker does not inherit. The compiled appliance starts server/dist/*.mjs directly.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
