import { ComputerLink, type TLinkedComputer } from "@/lib/fleet/computer-link";
import { open } from "@/lib/crypto/secret-box";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";

/**
 * Every agent link, owned by the console process (server.ts starts it). Server actions run in
 * Next's bundle and reach the same instance through globalThis.
 */
export class Fleet {
  private readonly links = new Map<string, ComputerLink>();

  async start(): Promise<void> {
    const computers = await db.computer.findMany({ select: { id: true, name: true, address: true, tlsFingerprint: true, tokenCiphertext: true } });
    for (const c of computers) this.add(c, open(c.tokenCiphertext));
  }

  add(computer: TLinkedComputer, token: string): ComputerLink {
    const current = this.links.get(computer.id);
    const pinned = (c: TLinkedComputer) => Boolean(c.tlsFingerprint);
    // A new token or a new certificate for the same agent (a rotation): the open stream stays, so
    // attached sessions notice nothing. Turning pinning on or off makes a new link.
    if (current && current.computer.address === computer.address && current.computer.name === computer.name && pinned(current.computer) === pinned(computer)) {
      current.client.setToken(token);
      if (computer.tlsFingerprint && computer.tlsFingerprint !== current.computer.tlsFingerprint) current.setTlsFingerprint(computer.tlsFingerprint);
      return current;
    }
    current?.stop();
    const link = new ComputerLink(computer, token);
    this.links.set(computer.id, link);
    link.start();
    return link;
  }

  link(computerId: string): ComputerLink {
    const link = this.links.get(computerId);
    if (!link) throw new AppError("AGENT_UNAVAILABLE", "The console has no connection to that computer.");
    return link;
  }

  all(): ComputerLink[] {
    return [...this.links.values()];
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((l) => l.stop()));
    this.links.clear();
  }
}

const g = globalThis as typeof globalThis & { __batonFleet?: Fleet };

export function setFleet(f: Fleet | undefined): void {
  g.__batonFleet = f;
}

export function fleet(): Fleet {
  if (!g.__batonFleet) throw new AppError("AGENT_UNAVAILABLE", "Agent connections are not running in this process.");
  return g.__batonFleet;
}
