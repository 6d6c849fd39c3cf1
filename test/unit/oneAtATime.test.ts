// One run at a time, none missed (server/storage/oneAtATime.ts): the invoice publisher and the
// retention assigner rely on it so an API call and a job never do the same work at once.
import { expect } from "chai";
import { oneAtATime } from "../../server/storage/oneAtATime.js";

describe("oneAtATime", () => {
  it("calls during a run share it and make it go round exactly once more; a later call starts a new run", async () => {
    let rounds = 0;
    let inFlight = 0;
    let release!: () => void;
    const run = oneAtATime(
      async () => {
        inFlight++;
        expect(inFlight).to.equal(1); // never two rounds at once
        rounds++;
        if (rounds === 1) await new Promise<void>((r) => (release = r));
        inFlight--;
        return 1;
      },
      (t, r) => (t ?? 0) + r,
    );
    const first = run();
    await new Promise((r) => setImmediate(r));
    const second = run();
    const third = run();
    expect(run.running()).to.equal(first);
    release();
    expect(await first).to.equal(2); // the calls during round 1 made one more round, not two
    expect(await second).to.equal(2);
    expect(await third).to.equal(2);
    expect(run.running()).to.equal(null);
    expect(await run()).to.equal(1);
    expect(rounds).to.equal(3);
  });

  it("a failed round fails the run's callers and leaves no run behind", async () => {
    let fail = true;
    const run = oneAtATime(async () => {
      if (fail) throw new Error("boom");
      return "ok";
    });
    const err = await run().then(
      () => null,
      (e) => e,
    );
    expect(err?.message).to.equal("boom");
    expect(run.running()).to.equal(null);
    fail = false;
    expect(await run()).to.equal("ok");
  });
});
