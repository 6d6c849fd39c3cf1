// Outgoing mail through nodemailer (a pooled SMTP transport). Without an SMTP host the appliance
// logs what it would send.
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
  send(msg: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(config: Config["mail"], logger: Logger): Mailer {
  if (!config.smtp.host) {
    return {
      async send(msg) {
        logger.info({ to: msg.to, subject: msg.subject }, "mail not sent: no SMTP host configured");
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
    async send(msg) {
      await transport.sendMail({ from: config.from, ...msg });
    },
    close() {
      transport.close();
    },
  };
}
