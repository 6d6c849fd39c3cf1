// Outgoing mail through nodemailer. Without an SMTP host the appliance logs what it would send.
import nodemailer from "nodemailer";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";

export interface MailMessage { to: string; subject: string; text: string; html?: string }
export interface Mailer { send(msg: MailMessage): Promise<void>; close(): void }

export function createMailer(config: Config["mail"], logger: Logger): Mailer {
  if (!config.smtp.host) {
    return { async send(msg) { logger.info({ to: msg.to, subject: msg.subject }, "mail not sent: no SMTP host configured"); }, close() {} };
  }
  const transport = nodemailer.createTransport({
    host: config.smtp.host, port: config.smtp.port, secure: config.smtp.secure,
    auth: config.smtp.user ? { user: config.smtp.user, pass: config.smtp.password } : undefined,
  });
  return {
    async send(msg) { await transport.sendMail({ from: config.from, ...msg }); },
    close() { transport.close(); },
  };
}
