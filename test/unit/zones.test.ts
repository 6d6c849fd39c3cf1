// Local days (SPEC R2.6): periods end at local midnight in the bound party's zone, around midnight
// and across Kyiv's daylight-saving changes; the count starts the day after the event's local day.
import { expect } from "chai";
import {
  applianceDay,
  localDay,
  periodEnd,
  setApplianceZone,
  startOfLocalDay,
} from "../../server/domain/shared/zones.js";

const none = new Set<string>();

describe("local days", () => {
  it("an instant's day is the zone's: 23:30 and 00:30 Almaty fall on different days, one of them not UTC's", () => {
    expect(localDay(new Date("2026-12-04T18:30:00Z"), "Asia/Almaty")).to.equal("2026-12-04"); // Fri 23:30 +05
    expect(localDay(new Date("2026-12-04T19:30:00Z"), "Asia/Almaty")).to.equal("2026-12-05"); // Sat 00:30 +05
    expect(localDay(new Date("2026-12-04T19:30:00Z"), "UTC")).to.equal("2026-12-04");
  });

  it("Kyiv's midnight is 22:00 UTC in winter and 21:00 UTC in summer, and the DST days are whole days", () => {
    expect(startOfLocalDay("2026-01-15", "Europe/Kyiv").toISOString()).to.equal("2026-01-14T22:00:00.000Z");
    expect(startOfLocalDay("2026-07-15", "Europe/Kyiv").toISOString()).to.equal("2026-07-14T21:00:00.000Z");
    // Spring forward (last Sunday of March: 2026-03-29) and fall back (2026-10-25).
    expect(startOfLocalDay("2026-03-29", "Europe/Kyiv").toISOString()).to.equal("2026-03-28T22:00:00.000Z");
    expect(startOfLocalDay("2026-03-30", "Europe/Kyiv").toISOString()).to.equal("2026-03-29T21:00:00.000Z");
    expect(startOfLocalDay("2026-10-26", "Europe/Kyiv").toISOString()).to.equal("2026-10-25T22:00:00.000Z");
    expect(localDay(new Date("2026-03-29T21:30:00Z"), "Europe/Kyiv")).to.equal("2026-03-30"); // 00:30 EEST
    expect(localDay(new Date("2026-03-29T20:30:00Z"), "Europe/Kyiv")).to.equal("2026-03-29"); // 23:30 EEST
  });

  it("5 working days from a receipt at 23:50 Almaty on a Friday end at 24:00 Almaty the next Friday; at 00:30 Saturday, a day later", () => {
    const friday2350 = new Date("2026-12-04T18:50:00Z");
    expect(periodEnd(friday2350, "working", 5, none, "Asia/Almaty").toISOString()).to.equal("2026-12-11T19:00:00.000Z");
    const saturday0030 = new Date("2026-12-04T19:30:00Z");
    // Saturday's count starts Sunday: Mon 7 … Fri 11 — the same Friday; a Monday holiday moves it a day.
    expect(periodEnd(saturday0030, "working", 5, none, "Asia/Almaty").toISOString()).to.equal(
      "2026-12-11T19:00:00.000Z",
    );
    expect(periodEnd(saturday0030, "working", 5, new Set(["2026-12-07"]), "Asia/Almaty").toISOString()).to.equal(
      "2026-12-14T19:00:00.000Z",
    );
    // Thursday 23:50 and Friday 00:30 local differ by a day.
    expect(periodEnd(new Date("2026-12-03T18:50:00Z"), "working", 5, none, "Asia/Almaty").toISOString()).to.equal(
      "2026-12-10T19:00:00.000Z",
    );
    expect(periodEnd(new Date("2026-12-03T19:30:00Z"), "working", 5, none, "Asia/Almaty").toISOString()).to.equal(
      "2026-12-11T19:00:00.000Z",
    );
  });

  it("7 calendar days end at 24:00 of the 7th day after the receipt's day, moved past a weekend or holiday to a working day", () => {
    // Received Wed 2026-12-02 10:00 Almaty: days 3…9, the 9th a Wednesday.
    expect(periodEnd(new Date("2026-12-02T05:00:00Z"), "calendar", 7, none, "Asia/Almaty").toISOString()).to.equal(
      "2026-12-09T19:00:00.000Z",
    );
    // Received Sat 2026-12-05 10:00: days 6…12, the 12th a Saturday, so the period ends with Monday the 14th.
    expect(periodEnd(new Date("2026-12-05T05:00:00Z"), "calendar", 7, none, "Asia/Almaty").toISOString()).to.equal(
      "2026-12-14T19:00:00.000Z",
    );
    // Kyiv across the spring change: received Fri 2026-03-27 12:00 (UTC+2); Mon 30 … Fri 3 Apr end at Sat 4 Apr 00:00 (UTC+3).
    expect(periodEnd(new Date("2026-03-27T10:00:00Z"), "working", 5, none, "Europe/Kyiv").toISOString()).to.equal(
      "2026-04-03T21:00:00.000Z",
    );
  });

  it("the appliance's day agrees with the zone's at every hour across Kyiv's DST changes and around Almaty's midnight", () => {
    try {
      for (const zone of ["Europe/Kyiv", "Asia/Almaty"]) {
        setApplianceZone(zone);
        for (let t = Date.parse("2026-03-27T00:00:00Z"); t < Date.parse("2026-04-01T00:00:00Z"); t += 17 * 60_000)
          expect(applianceDay(new Date(t)), `${zone} ${new Date(t).toISOString()}`).to.equal(
            localDay(new Date(t), zone),
          );
        for (let t = Date.parse("2026-10-24T00:00:00Z"); t < Date.parse("2026-10-27T00:00:00Z"); t += 17 * 60_000)
          expect(applianceDay(new Date(t))).to.equal(localDay(new Date(t), zone));
      }
      setApplianceZone("Asia/Almaty");
      expect(applianceDay(new Date("2026-12-04T18:59:59Z"))).to.equal("2026-12-04");
      expect(applianceDay(new Date("2026-12-04T19:00:00Z"))).to.equal("2026-12-05");
    } finally {
      setApplianceZone("Asia/Almaty");
    }
  });
});
