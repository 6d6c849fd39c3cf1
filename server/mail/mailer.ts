// Outgoing mail through nodemailer (a pooled SMTP transport). Without an SMTP host nothing is sent
// and nothing pretends to be: the outbox keeps its notices queued, /readyz says mail is degraded,
// and people see their notices in the console's notice centre (SPEC R6.2).
import nodemailer from "nodemailer";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** stable per message, so a retried delivery can be recognized as the same message */
  messageId?: string;
  headers?: Record<string, string>;
}
export interface Mailer {
  /** false: no SMTP host is configured — the outbox is not worked, notices wait */
  configured: boolean;
  send(msg: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(config: Config["mail"], logger: Logger): Mailer {
  if (!config.smtp.host) {
    logger.warn("mail.smtp.host is not set: notices stay queued and are shown in the console only");
    return {
      configured: false,
      async send() {
        throw new Error("no SMTP host is configured (mail.smtp.host)");
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: config.concurrency,
    maxMessages: 1000,
    host: config.smtp.host,
    port: config.smtp.port,
    secure: config.smtp.secure,
    auth: config.smtp.user ? { user: config.smtp.user, pass: config.smtp.password } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    configured: true,
    async send(msg) {
      await transport.sendMail({ from: config.from, ...msg });
    },
    close() {
      transport.close();
    },
  };
}
