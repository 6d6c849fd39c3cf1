// A real SMTP server in the test process (npm smtp-server): it receives what the appliance's
// nodemailer sends, and mailparser reads each message back. It can be stopped and started again on
// the same port, to show the outbox retrying through an outage.
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  language: string | null;
  topic: string | null;
  raw: ParsedMail;
}

export class TestSmtp {
  readonly messages: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      closeTimeout: 200,
      onData: (stream, session, callback) => {
        simpleParser(stream).then((mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          this.messages.push({
            to,
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            html: typeof mail.html === "string" ? mail.html : "",
            messageId: mail.messageId ?? "",
            language: (mail.headers.get("content-language") as string | undefined) ?? null,
            topic: (mail.headers.get("x-qujat-topic") as string | undefined) ?? null,
            raw: mail,
          });
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    // A client killed mid-transaction resets its connection (the outbox crash test does it on
    // purpose): the server reports it as an error event, which is not a test's failure.
    server.on("error", () => undefined);
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  to(address: string) {
    return this.messages.filter((m) => m.to.includes(address));
  }
}
