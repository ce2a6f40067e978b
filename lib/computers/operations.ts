import "server-only";
import { z } from "zod";
import type { TAuditTarget } from "@/lib/actions/run-action";
import type { TSessionUser } from "@/lib/auth/session-store";
import { seal } from "@/lib/crypto/secret-box";
import { FINGERPRINT_NEEDS_HTTPS, type ZRegisterComputer, type ZUpdateConfiguration } from "@/lib/data/computers/schemas";
import { configurationRowSelect, toConfigurationRow } from "@/lib/data/computers/to-configuration-row";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";
import { db } from "@/lib/db/client";
import type { TConfigurationRow } from "@/lib/dto/computers";
import { AppError } from "@/lib/errors";
import { actAs } from "@/lib/fleet/act-as";
import { AgentClient, AgentRequestError } from "@/lib/fleet/agent-client";
import { fleet } from "@/lib/fleet/fleet";
import { upsertConfiguration } from "@/lib/fleet/ingest";
import { normaliseFingerprint } from "@/lib/protocol/tls-fingerprint";
import { publish } from "@/lib/realtime/publish";

// Computer operations as the console performs them: the admin check, then the agent host
// (probed or asked to change), then the store updated from its answer. lib/data/computers
// only reads and writes the store.

/**
 * Registers (or re-registers) an agent host after checking it answers with that token, and, when
 * a certificate fingerprint is given, with that certificate (checked before the token is sent).
 */
export async function registerComputer({ actor, input }: { actor: TSessionUser; input: z.infer<typeof ZRegisterComputer> }) {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins may register computers.");
  let tlsFingerprint: string | null = null;
  if (input.tlsFingerprint) {
    tlsFingerprint = normaliseFingerprint(input.tlsFingerprint);
    if (!tlsFingerprint) throw new AppError("INVALID_INPUT", "The certificate fingerprint must be 64 hexadecimal digits.", { tlsFingerprint: ["must be a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed"] });
    if (!input.address.startsWith("https://")) throw new AppError("INVALID_INPUT", `${input.name}: ${FINGERPRINT_NEEDS_HTTPS}.`, { tlsFingerprint: [FINGERPRINT_NEEDS_HTTPS] });
  }
  const probe = new AgentClient({ baseUrl: input.address, token: input.token, timeoutMs: 5000, tlsFingerprint, name: input.name });
  try {
    const health = await probe.health();
    if (health.name !== input.name) {
      throw new AppError("INVALID_INPUT", `The agent at ${input.address} calls itself ${health.name}, not ${input.name}.`, { name: [`the agent's name is ${health.name}`] });
    }
    // Health answers anyone; this request proves the agent accepts the token (before it replaces the one in use).
    await probe.listConfigurations();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof AgentRequestError && err.code === "CERTIFICATE_MISMATCH") {
      throw new AppError("INVALID_INPUT", `The agent at ${input.address} presented a certificate with SHA-256 fingerprint ${err.details?.presented ?? "(none)"}, not ${tlsFingerprint}; nothing was sent to it.`, {
        tlsFingerprint: [`does not match the agent's certificate (${err.details?.presented ?? "none presented"})`],
      });
    }
    const code = (err as { code?: string }).code;
    if (code === "UNAUTHORIZED") throw new AppError("INVALID_INPUT", `The agent at ${input.address} refused that token.`, { token: ["was refused by the agent"] });
    throw new AppError("AGENT_UNAVAILABLE", `No agent answered at ${input.address}: ${(err as Error).message}`, { address: ["did not answer"] });
  } finally {
    probe.close();
  }
  const tokenCiphertext = seal(input.token);
  const computer = await db.computer.upsert({
    where: { name: input.name },
    create: { name: input.name, address: input.address, tokenCiphertext, tlsFingerprint },
    update: { address: input.address, tokenCiphertext, tlsFingerprint },
    select: { id: true, name: true, address: true, tlsFingerprint: true },
  });
  fleet().add(computer, input.token);
  return { id: computer.id };
}

/** Set-PSSessionConfiguration: new operations obey the new limits; running sessions keep running. */
export async function updateConfiguration({
  actor,
  input,
  setTarget,
}: {
  actor: TSessionUser;
  input: z.infer<typeof ZUpdateConfiguration>;
  setTarget: (t: TAuditTarget) => void;
}): Promise<TConfigurationRow> {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins may change session configurations.");
  const computer = await db.computer.findUnique({ where: { id: input.computerId }, select: { id: true, name: true } });
  if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.computerId}.`);
  setTarget({ computerName: computer.name });
  const { outputBufferBytes, ...rest } = input.limits;
  const patch = { ...rest, ...(outputBufferBytes !== undefined ? { outputBufferSizeBytes: outputBufferBytes } : {}) };
  const view = await fleet()
    .link(computer.id)
    .request(actAs(actor), (c) => c.updateConfiguration(actAs(actor), input.configurationName, patch));
  await upsertConfiguration(computer.id, view);
  publish({ type: "computer.updated", id: computer.id }, { roles: ["technician", "manager", "helpdesk", "admin"] });
  // Sessions whose idle timeout now exceeds the maximum are flagged in every list.
  publish({ type: "session.updated", id: "*" }, { roles: ["technician", "manager", "helpdesk", "admin"] });
  const row = await db.sessionConfiguration.findUniqueOrThrow({
    where: { computerId_name: { computerId: computer.id, name: input.configurationName } },
    select: configurationRowSelect,
  });
  return toConfigurationRow(row, (await liveUsage([computer.id])).get(usageKey(computer.id, row.name)) ?? { shells: 0, users: 0 });
}
