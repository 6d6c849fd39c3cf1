// Operations over HTTP (SPEC R6.1, R6.2): maintenance announcements every signed-in user sees, and
// the notification outbox for system administrators.
import { z } from "zod";
import { notificationRetrier, outboxListed } from "../../domain/operations/notifications.js";
import type { AppDeps } from "../../deps.js";

import {
  AnnouncementInput,
  announcementCreator,
  announcementWithdrawer,
  currentAnnouncements,
  presentAnnouncement,
} from "../../domain/operations/announcements.js";
import { presentOutbox } from "../../mail/dispatcher.js";

import type { Api } from "../api.js";
import { commandContext } from "../api.js";

export function operationsRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/announcements",
    tag: "operations",
    auth: "any",
    summary: "Maintenance windows not yet over, soonest first (shown to every signed-in user as a banner)",
    handler: async (ctx) => {
      ctx.body = { items: (await currentAnnouncements(deps.reader, deps.clock.now())).map(presentAnnouncement) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/announcements",
    tag: "operations",
    auth: "user",
    tx: true,
    body: AnnouncementInput,
    responses: { 201: "Announced; everyone is e-mailed unless notify is false" },
    summary: "Announce a maintenance window (system administrator)",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentAnnouncement(await announcementCreator(commandContext(ctx, deps), body));
    },
  });
  api.add({
    method: "delete",
    path: "/api/v1/announcements/:id",
    tag: "operations",
    auth: "user",
    tx: true,
    summary: "Withdraw an announcement",
    handler: async (ctx, { params }) => {
      await announcementWithdrawer(commandContext(ctx, deps), params.id);
      ctx.status = 204;
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/system/outbox",
    tag: "operations",
    auth: "user",
    summary: "Notifications and their delivery (system administrators), newest first",
    query: z.strictObject({
      status: z.enum(["pending", "sent", "failed"]).optional(),
      topic: z.string().max(48).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    handler: async (ctx, { query }) => {
      ctx.body = { items: (await outboxListed(deps.reader, ctx.state.actor, query)).map(presentOutbox) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/system/outbox/:seq/retry",
    tag: "operations",
    auth: "user",
    tx: true,
    summary: "Send a failed notification again (system administrators)",
    handler: async (ctx, { params }) => {
      await notificationRetrier(commandContext(ctx, deps), params.seq);
      ctx.status = 202;
      ctx.body = { id: Number(params.seq), status: "pending" };
    },
  });
}
