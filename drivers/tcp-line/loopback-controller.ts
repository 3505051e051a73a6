/**
 * A controller that speaks the tcp-line protocol on a loopback port, for the driver's tests:
 * a real TCP server, deduplicating writes by id like the vendor's, with switchable faults
 * (stall, drop the connection mid-command, answer garbage) and slow commands to abort.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type Fault = 'none' | 'stall' | 'drop' | 'garbage';

interface Command {
  status: 'in_progress' | 'completed' | 'failed' | 'aborted';
  output?: Record<string, unknown>;
  error?: string;
  reply?: (line: Record<string, unknown>) => void;
  timer?: NodeJS.Timeout;
}

export class LoopbackController {
  readonly server: Server;
  readonly commands = new Map<string, Command>();
  state: Record<string, unknown> = { mode: 'RUNNING', power: 0 };
  /** How many writes actually changed the state: duplicates must not count. */
  actuations = 0;
  /**
   * Every write request received, by command id, before deduplication: a double execution shows
   * here.
   */
  readonly writesReceived = new Map<string, number>();
  fault: Fault = 'none';
  /** Milliseconds a write takes; aborts can land meanwhile. */
  latencyMs = 0;
  port = 0;
  readonly #sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => this.#serve(socket));
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.#handle(socket, JSON.parse(line) as Record<string, unknown>);
      }
    });
  }

  #handle(socket: Socket, req: Record<string, unknown>): void {
    const send = (msg: Record<string, unknown>): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
    };
    const id = String(req.id);
    switch (req.op) {
      case 'state':
        return send({ id, ok: true, output: { ...this.state } });
      case 'safe':
        this.state = { ...this.state, power: 0, mode: 'SAFE' };
        for (const c of this.commands.values()) if (c.status === 'in_progress') this.#abort(c);
        return send({ id, ok: true });
      case 'status': {
        const c = this.commands.get(String(req.command));
        return send({
          id,
          ok: true,
          status: c?.status ?? 'not_found',
          ...(c?.output ? { output: c.output } : {}),
          ...(c?.error ? { error: c.error } : {}),
        });
      }
      case 'abort': {
        const c = this.commands.get(String(req.command));
        if (c?.status === 'in_progress') this.#abort(c);
        return send({ id, ok: true });
      }
      case 'write': {
        this.writesReceived.set(id, (this.writesReceived.get(id) ?? 0) + 1);
        if (this.fault === 'stall') return;
        if (this.fault === 'drop') {
          socket.destroy();
          return;
        }
        if (this.fault === 'garbage') {
          socket.write('%%% not json %%%\n');
          return;
        }
        const known = this.commands.get(id);
        if (known && known.status !== 'in_progress') return send(this.#result(id, known));
        if (known) {
          known.reply = (m) => send(m);
          return;
        }
        const params = (req.params ?? {}) as Record<string, unknown>;
        const cmd: Command = { status: 'in_progress', reply: (m) => send(m) };
        this.commands.set(id, cmd);
        const apply = (): void => {
          if (cmd.status !== 'in_progress') return;
          if (typeof params.value === 'number' && params.value > 100) {
            cmd.status = 'failed';
            cmd.error = `value ${params.value} exceeds the controller's limit 100`;
          } else {
            this.state = { ...this.state, power: params.value ?? this.state.power };
            this.actuations++;
            cmd.status = 'completed';
            cmd.output = { ...this.state };
          }
          cmd.reply?.(this.#result(id, cmd));
        };
        if (this.latencyMs > 0) cmd.timer = setTimeout(apply, this.latencyMs);
        else apply();
        return;
      }
      default:
        return send({ id, ok: false, error: `unknown op ${String(req.op)}` });
    }
  }

  #abort(c: Command): void {
    clearTimeout(c.timer);
    c.status = 'aborted';
    c.reply?.({
      id: [...this.commands.entries()].find(([, v]) => v === c)?.[0],
      ok: false,
      status: 'aborted',
      error: 'aborted',
    });
  }

  #result(id: string, c: Command): Record<string, unknown> {
    if (c.status === 'completed')
      return { id, ok: true, ...(c.output ? { output: c.output } : {}) };
    return { id, ok: false, status: c.status, ...(c.error ? { error: c.error } : {}) };
  }
}
