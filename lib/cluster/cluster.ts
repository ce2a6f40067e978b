import { randomBytes } from "node:crypto";
import os from "node:os";
import type { RedisClientType } from "redis";

// Several console instances (REDIS_URL set, DATABASE_URL on a shared PostgreSQL) coordinate
// through Redis: socket.io's adapter fans events out, each computer's agent events are ingested
// by the one instance holding its lease, bulk jobs name their owner instance and heartbeat, and
// terminal presence is one hash per session. Without REDIS_URL nothing of this runs and the
// console is the single instance it always was.
//
// server.ts connects the clients; server actions (Next's bundle) reach them on globalThis, as
// they reach the socket.io server, and never import the redis package themselves.

export type TRedis = RedisClientType;

export type TCluster = {
  /** This process, as other instances see it in leases, job owners and presence. */
  instanceId: string;
  /** Every key this console writes starts with `${prefix}:`. */
  prefix: string;
  redis: TRedis;
};

const g = globalThis as typeof globalThis & { __batonCluster?: TCluster | null; __batonLocalInstance?: string };

export function setCluster(c: TCluster | null): void {
  g.__batonCluster = c;
}

/** The cluster this instance belongs to; null when it runs alone (no REDIS_URL). */
export function cluster(): TCluster | null {
  return g.__batonCluster ?? null;
}

export function newInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * This console process as the runner of a bulk job (BulkJob.owner): its cluster instance id, or,
 * running alone, one made for this process, so that the next start tells its jobs from its own.
 */
export function consoleInstanceId(): string {
  return cluster()?.instanceId ?? (g.__batonLocalInstance ??= newInstanceId());
}

/** How long an instance's claims (leases, job heartbeats, presence) outlive its last renewal. */
export const CLAIM_TTL_MS = 6_000;
/** How often claims are renewed: several renewals fit in one TTL, so a slow tick does not lose one. */
export const RENEW_EVERY_MS = 2_000;
