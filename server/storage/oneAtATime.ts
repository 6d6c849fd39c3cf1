// One run at a time, and none missed: a call while a run is under way joins it and makes it go
// round once more when it ends (what changed during the run is seen by the next round). Used for
// work that two callers must never do at once — an API call and a daily job publishing the same
// invoices, or assigning the same retention dates.

export interface OneAtATime<R> {
  (): Promise<R>;
  /** the run under way, if any (to wait for it at shutdown) */
  running(): Promise<R> | null;
}

/** `round` runs repeatedly while calls keep arriving; `fold` combines the rounds' results. */
export function oneAtATime<R>(
  round: () => Promise<R>,
  fold: (total: R | null, r: R) => R = (_t, r) => r,
): OneAtATime<R> {
  let current: Promise<R> | null = null;
  let again = false;
  const run = (() => {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      let total: R | null = null;
      do {
        again = false;
        total = fold(total, await round());
      } while (again);
      return total;
    })().finally(() => {
      current = null;
    });
    return current;
  }) as OneAtATime<R>;
  run.running = () => current;
  return run;
}
