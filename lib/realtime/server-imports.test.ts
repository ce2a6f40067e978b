import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

// server.ts runs under plain tsx, outside Next's react-server build, where importing a module
// marked `server-only` throws. Everything it loads must stay free of that marker.
describe("console process imports", () => {
  it("load without Next's server-only condition", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const modules = ["lib/realtime/socket-server.ts", "lib/http/origin-refusal.ts", "lib/http/origins.ts", "lib/fleet/fleet.ts", "lib/fleet/demo-fleet.ts", "lib/data/users/demo-users.ts"];
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "baton-imports-")), "check.mts");
    fs.writeFileSync(script, modules.map((m) => `await import(${JSON.stringify(path.join(root, m))});`).join("\n") + '\nconsole.log("ok");\n');
    const out = execFileSync(path.join(root, "node_modules/.bin/tsx"), ["--tsconfig", path.join(root, "tsconfig.json"), script], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: "file::memory:", LOG_LEVEL: "silent" },
      encoding: "utf8",
    });
    expect(out.trim()).toBe("ok");
  });
});
