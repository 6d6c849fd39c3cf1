// The appliance's entry point (make run, npm start, a service unit): `node server/start.cjs`.
//
// CommonJS on purpose. libuv reads UV_THREADPOOL_SIZE once, when its thread pool first starts, and
// Node's ES module loader starts it while it loads an .mjs entry — before any line of that module
// runs. A CommonJS entry is read synchronously, so the setting below is in place when the compiled
// appliance (server/dist/main.mjs) is imported. SQLite statements, file writes, fdatasync, argon2
// and PKCS#11 signing all run in that pool; with libuv's default of 4 threads a few slow fdatasync
// calls hold every database statement behind them. An operator's own UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= "16";
import("./dist/main.mjs").catch((err) => {
  console.error(err);
  process.exit(1);
});
