// The notice centre (SPEC R6.2): the person's own notices, what he has read, and which the console
// has shown him — the first showing delivers a notice that mail has not.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import { notFound } from "../../errors.js";
import { noticeReader, noticesFor, noticesShownRecorder } from "../../mail/notices.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";

export function noticeRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/notices",
    tag: "notices",
    auth: "user",
    summary: "My notices, newest first, with when each was delivered, shown to me and read",
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
    handler: async (ctx, { query }) => {
      const items = await noticesFor(deps.reader, ctx.state.actor.userId!, query.limit);
      ctx.body = { items, unread: items.filter((n) => !n.readAt).length };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/notices/shown",
    tag: "notices",
    auth: "user",
    tx: true,
    summary: "The console showed me these notices: the first showing is kept, and delivers each one mail has not",
    body: z.strictObject({ ids: z.array(z.number().int().positive()).min(1).max(200) }),
    handler: async (ctx, { body }) => {
      const c = commandContext(ctx, deps);
      ctx.body = { recorded: await noticesShownRecorder(c.tx, deps.clock, ctx.state.actor.userId!, body.ids) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/notices/:notice/read",
    tag: "notices",
    auth: "user",
    tx: true,
    summary: "Mark one of my notices read",
    handler: async (ctx, { params }) => {
      const c = commandContext(ctx, deps);
      // Notices are numbered (the outbox's ids), not UUIDs.
      const id = Number(params.notice);
      if (!Number.isInteger(id) || !(await noticeReader(c.tx, deps.clock, ctx.state.actor.userId!, id)))
        throw notFound();
      ctx.status = 204;
    },
  });
}
