import { describe, expect, it } from "vitest";
import { assertRuntimeEnv, parseEnv } from "@/lib/env";

describe("env", () => {
  it("fills defaults for a bare environment", () => {
    expect(parseEnv({})).toMatchObject({ DATABASE_URL: "file:./data/baton.db", HOST: "127.0.0.1", PORT: 3000 });
  });

  it("names every bad variable", () => {
    const run = () => parseEnv({ PORT: "99999", DATABASE_URL: "mysql://x" });
    expect(run).toThrow(/DATABASE_URL: must be a file: URL/);
    expect(run).toThrow(/PORT: Too big/);
  });

  it("requires a long enough secret to run", () => {
    expect(() => parseEnv({ BATON_SECRET: "short" })).toThrow(/BATON_SECRET: must be at least 32 characters/);
    expect(() => assertRuntimeEnv(parseEnv({}))).toThrow(/BATON_SECRET: required/);
  });
});
