// Imported first by main.ts, before anything touches libuv's thread pool (read when first used).
// SQLite queries, file writes, fdatasync and argon2 all run there; the default of 4 threads lets a
// few slow fdatasync calls stall every database query behind them.
process.env.UV_THREADPOOL_SIZE ??= "16";
