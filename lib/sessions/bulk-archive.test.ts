import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tarArchive } from "@/lib/sessions/bulk";

// A bulk Receive's download is a plain ustar archive: GNU tar (the reference) must read back
// every file, byte for byte, including sizes on and off the 512-byte block boundary.
describe("bulk Receive archive", () => {
  it("is read back by tar, every entry byte for byte", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-tar-"));
    const files = [
      { name: "summary.txt", data: Buffer.from("ok      Srv1 ITTask\n"), mtime: new Date("2026-11-30T12:00:00Z") },
      { name: "Srv1/ITTask-abc.txt", data: Buffer.from("patch 1 written\r\nGrüße 🙂\r\n"), mtime: new Date() },
      { name: "Srv2/Empty-def.txt", data: Buffer.alloc(0), mtime: new Date() },
      { name: "Srv30/Big-ghi.txt", data: Buffer.from("x".repeat(512 * 3)), mtime: new Date() },
      { name: "Srv30/Odd-jkl.txt", data: Buffer.from("y".repeat(1000)), mtime: new Date() },
    ];
    const archive = path.join(dir, "out.tar");
    fs.writeFileSync(archive, tarArchive(files));
    const listed = execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(files.map((f) => f.name));
    execFileSync("tar", ["-xf", archive, "-C", dir]);
    for (const f of files) expect(fs.readFileSync(path.join(dir, f.name)).equals(f.data)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a name longer than the format allows instead of cutting it", () => {
    expect(() => tarArchive([{ name: `${"a".repeat(101)}.txt`, data: Buffer.from("x"), mtime: new Date() }])).toThrow(/too long/);
  });
});
