import net from "node:net";
import { Transform } from "node:stream";

/**
 * A TCP relay a test can cut and restore on the same port: every connection through it is
 * dropped and new ones are refused while it is cut, as when a database server goes away. The
 * server behind it keeps running (never stop the run's shared PostgreSQL).
 */
export class TcpRelay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** Connections accepted since the relay was made. */
  accepted = 0;
  /** Armed by loseCommitAnswer: the PostgreSQL transaction it waits for, and whom to tell. */
  private commitTrap: { marker: string; lost: () => void } | null = null;
  /** Armed by failStatement: the statement it stops, and whom to tell. */
  private statementTrap: { marker: string; failed: () => void } | null = null;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async to(url: string): Promise<TcpRelay> {
    const u = new URL(url);
    const relay = new TcpRelay(u.hostname, Number(u.port));
    await relay.open();
    return relay;
  }

  /** `url` with its host and port replaced by the relay's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  get isOpen(): boolean {
    return this.server !== null;
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => this.sockets.delete(s));
      }
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      this.carry(client, upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /**
   * PostgreSQL only. The next transaction that sends `marker` (e.g. the start of an INSERT) has
   * its COMMIT applied by the server, and the answer to it lost: the server said COMMIT, and the
   * relay drops that connection instead of passing the answer on, so the client sees a broken
   * connection for a commit that landed (the ambiguous commit). Other connections carry on.
   * A statement sent outside a transaction commits on its own: then its own answer (its
   * CommandComplete, "INSERT 0 1" say) is the one lost. Resolves when it happened.
   */
  loseCommitAnswer(marker: string): Promise<void> {
    return new Promise((lost) => (this.commitTrap = { marker, lost }));
  }

  /**
   * The next statement whose bytes hold `marker` (its SQL or one of its bound values) never
   * reaches the server: the relay drops that connection instead, so the write fails and nothing
   * of it lands, as when the database goes away mid-request. Resolves when it happened.
   */
  failStatement(marker: string): Promise<void> {
    return new Promise((failed) => (this.statementTrap = { marker, failed }));
  }

  /**
   * Carries one connection both ways. While loseCommitAnswer is armed it reads along: a
   * transaction (from its BEGIN) that sends the marker and then COMMIT is the one; the server's
   * answer to that COMMIT (its CommandComplete tag) ends the connection instead of being passed on.
   */
  private carry(client: net.Socket, upstream: net.Socket): void {
    let inTransaction = false;
    let marked = false;
    /** The answer that says the marked work committed: COMMIT's, or a lone statement's own. */
    let committed: RegExp | null = null;
    const commands = passThrough((chunk) => {
      const stop = this.statementTrap;
      if (stop && chunk.toString("latin1").includes(stop.marker)) {
        this.statementTrap = null;
        client.destroy();
        upstream.destroy();
        stop.failed();
        return null;
      }
      const trap = this.commitTrap;
      if (!trap) return chunk;
      const text = chunk.toString("latin1");
      if (text.includes("BEGIN")) {
        inTransaction = true;
        marked = false;
        committed = null;
      }
      if (text.includes(trap.marker)) {
        marked = true;
        if (!inTransaction) committed = /(INSERT 0|UPDATE|DELETE) \d+\0/;
      }
      if (inTransaction && /COMMIT|ROLLBACK/.test(text)) {
        inTransaction = false;
        if (marked && text.includes("COMMIT")) committed = /COMMIT\0/;
      }
      return chunk;
    });
    const answers = passThrough((chunk) => {
      const trap = this.commitTrap;
      if (!trap || !committed || !committed.test(chunk.toString("latin1"))) return chunk;
      this.commitTrap = null;
      client.destroy();
      upstream.destroy();
      trap.lost();
      return null;
    });
    client.pipe(commands).pipe(upstream).pipe(answers).pipe(client);
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/** Passes each chunk on as `look` returns it (null: nothing); errors once its sockets are destroyed go nowhere. */
function passThrough(look: (chunk: Buffer) => Buffer | null): Transform {
  return new Transform({ transform: (chunk: Buffer, _encoding, done) => done(null, look(chunk) ?? undefined) }).on("error", () => undefined);
}
