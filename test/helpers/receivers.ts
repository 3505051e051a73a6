/**
 * Real receivers on loopback for notification tests and benchmarks: an HTTP server that records
 * what it is sent (and can be taken down and brought back on its port, or made to hang), and
 * an SMTP server (smtp-server) that records the mail it accepts.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { SMTPServer } from 'smtp-server';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export class HttpReceiver {
  readonly received: Received[] = [];
  #server: Server | undefined;
  #port = 0;
  /** Accept the request and never answer (a sink that hangs). */
  hang = false;
  readonly #hanging = new Set<ServerResponse>();

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.hang) {
          this.#hanging.add(res);
          return;
        }
        this.received.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        res.writeHead(204).end();
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Refuses connections from now on (the port is closed), until start(sameport) again. */
  async down(): Promise<number> {
    const port = this.#port;
    await this.stop();
    return port;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export class SmtpReceiver {
  readonly received: ReceivedMail[] = [];
  #server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as { port: number }).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
