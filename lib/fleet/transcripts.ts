import { StringDecoder } from "node:string_decoder";
import { neutralise } from "@/lib/audit/neutralise";
import { db } from "@/lib/db/client";

/** Output kept per command for auditors; beyond this the command is marked truncated. */
export const TRANSCRIPT_MAX_CHARS_PER_COMMAND = 64 * 1024;
/** Output held in memory per session between flushes. */
const PENDING_MAX_BYTES = 256 * 1024;

type TPending = { decoder: StringDecoder; chunks: Buffer[]; bytes: number; overflow: boolean };

/**
 * Records what sessions print into their commands' transcripts: bounded per command, with
 * truncation recorded, escape sequences neutralised. Fed with the live output the console
 * receives for attached sessions and with what Receive returns.
 */
export class TranscriptRecorder {
  private readonly pending = new Map<string, TPending>();

  add(instanceId: string, data: Buffer): void {
    let p = this.pending.get(instanceId);
    if (!p) {
      p = { decoder: new StringDecoder("utf8"), chunks: [], bytes: 0, overflow: false };
      this.pending.set(instanceId, p);
    }
    if (p.bytes + data.length > PENDING_MAX_BYTES) {
      p.overflow = true;
      return;
    }
    p.chunks.push(data);
    p.bytes += data.length;
  }

  async flushAll(): Promise<void> {
    for (const instanceId of [...this.pending.keys()]) await this.flush(instanceId);
  }

  async flush(instanceId: string): Promise<void> {
    const p = this.pending.get(instanceId);
    if (!p || (p.chunks.length === 0 && !p.overflow)) return;
    const text = neutralise(p.decoder.write(Buffer.concat(p.chunks)));
    const overflow = p.overflow;
    p.chunks = [];
    p.bytes = 0;
    p.overflow = false;
    const session = await db.session.findUnique({ where: { instanceId }, select: { id: true } });
    if (!session) return;
    // The running command if there is one, else the one that ran last.
    const select = { id: true, output: true, outputTruncated: true } as const;
    const command =
      (await db.sessionCommand.findFirst({ where: { sessionId: session.id, endedAt: null }, orderBy: { startedAt: "desc" }, select })) ??
      (await db.sessionCommand.findFirst({ where: { sessionId: session.id }, orderBy: { startedAt: "desc" }, select }));
    if (!command) return; // output before any command: the shell's banner and prompt
    const room = TRANSCRIPT_MAX_CHARS_PER_COMMAND - command.output.length;
    const truncated = overflow || text.length > room;
    if (room <= 0 && command.outputTruncated) return;
    await db.sessionCommand.update({
      where: { id: command.id },
      data: { output: command.output + text.slice(0, Math.max(0, room)), outputTruncated: command.outputTruncated || truncated },
    });
  }

  forget(instanceId: string): void {
    this.pending.delete(instanceId);
  }
}
