import { CLAIM_TTL_MS, RENEW_EVERY_MS, type TCluster } from "@/lib/cluster/cluster";
import { logger } from "@/lib/logger";

// Renews only a lease this instance still holds (another may have taken it after a pause).
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * Which instance ingests one computer's agent events (session rows, state history, command
 * records, transcripts, audit events of agent-side changes). Every instance holds its own stream
 * to the agent, and the agent sends each stream the same events: written by all, each would be
 * stored and audited N times. So one instance per computer holds a lease in Redis (SET NX PX,
 * renewed every RENEW_EVERY_MS); the others only relay output to their browsers' terminals. When
 * the holder stops renewing (it died, or lost Redis), the lease lapses after CLAIM_TTL_MS and the
 * next instance to try takes it, and `onAcquired` lets it catch up on what it did not ingest.
 */
export class IngestLease {
  private held = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly key: string;

  constructor(
    private readonly c: TCluster,
    computerId: string,
    private readonly onAcquired: () => void,
    private readonly onLost: () => void = () => {},
  ) {
    this.key = `${c.prefix}:lease:computer:${computerId}`;
  }

  get isHeld(): boolean {
    return this.held;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), RENEW_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const was = this.held;
    this.held = false;
    // A polite release lets another instance take over at once instead of after the TTL.
    if (was) await this.c.redis.eval(RELEASE, { keys: [this.key], arguments: [this.c.instanceId] }).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.held) {
        const renewed = await this.c.redis.eval(RENEW, { keys: [this.key], arguments: [this.c.instanceId, String(CLAIM_TTL_MS)] });
        if (renewed !== 1) {
          this.held = false;
          logger.warn({ lease: this.key }, "ingest lease lost to another instance");
          this.onLost();
        }
        return;
      }
      const got = await this.c.redis.set(this.key, this.c.instanceId, { condition: "NX", expiration: { type: "PX", value: CLAIM_TTL_MS } });
      if (got === "OK" && !this.stopped) {
        this.held = true;
        logger.info({ lease: this.key }, "ingest lease taken");
        this.onAcquired();
      }
    } catch (err) {
      // Without Redis nobody can prove they hold it: stop ingesting until a renewal succeeds.
      if (!this.held) return;
      logger.warn({ lease: this.key, err: (err as Error).message }, "ingest lease could not be renewed; ingestion paused");
      this.held = false;
      this.onLost();
    }
  }
}
