import "server-only";
import { z } from "zod";
import type { TSessionUser } from "@/lib/auth/session-store";
import { seal } from "@/lib/crypto/secret-box";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { AgentClient, AgentRequestError } from "@/lib/fleet/agent-client";
import { fleet } from "@/lib/fleet/fleet";
import { FINGERPRINT_NEEDS_HTTPS, type ZRegisterComputer } from "@/lib/data/computers/schemas";
import { normaliseFingerprint } from "@/lib/protocol/tls-fingerprint";

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
