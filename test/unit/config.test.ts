import { expect } from "chai";
import { ConfigError, loadConfig } from "../../server/config/index.js";

describe("config", () => {
  it("layers defaults, NODE_ENV file and QUJAT_* variables", () => {
    const c = loadConfig({
      NODE_ENV: "test",
      QUJAT_PORT: "9999",
      QUJAT_AUTH__SESSION_IDLE_MINUTES: "15",
      QUJAT_DATA_DIR: "/tmp/x",
    });
    expect(c.server.port).to.equal(9999);
    expect(c.auth.sessionIdleMinutes).to.equal(15);
    expect(c.auth.throttle.freeFailures).to.equal(5); // contract default
    expect(c.log.level).to.equal("silent"); // from config/test.json
    expect(c.dataDir).to.equal("/tmp/x");
  });
  it("reports every problem at once", () => {
    try {
      loadConfig({ NODE_ENV: "test", QUJAT_PORT: "70000", QUJAT_DATABASE_URL: "mysql://x", QUJAT_AUTH__NOPE: "1" });
      expect.fail("should throw");
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join("\n");
      expect(problems).to.match(/server\.port/);
      expect(problems).to.match(/database\.url/);
      expect(problems).to.match(/nope/i);
    }
  });
});
