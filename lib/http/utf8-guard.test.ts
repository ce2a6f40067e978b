import { describe, expect, it } from "vitest";
import { NextRequest } from "next/server";
import { refuseInvalidUtf8 } from "@/lib/http/utf8-guard";
import { invalidUtf8InTarget } from "@/lib/protocol/hygiene";

const BASE = "http://127.0.0.1:3000";
const post = (body: Buffer, path = "/sessions") => new NextRequest(`${BASE}${path}`, { method: "POST", body: new Uint8Array(body), headers: { "next-action": "abc", "content-type": "text/plain;charset=UTF-8" } });
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

async function refusedWith(res: Response | null) {
  expect(res?.status).toBe(400);
  return ((await res!.json()) as { error: { code: string; message: string } }).error;
}

describe("the console refuses what is not UTF-8 before any page, route or action reads it", () => {
  it("a server action body with bytes that are not UTF-8", async () => {
    for (const bad of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const e = await refusedWith(await refuseInvalidUtf8(post(bytes('[{"computerId":"c1","name":"ok', bad, '"}]'))));
      expect(e).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("not valid UTF-8") });
    }
    const form = new NextRequest(`${BASE}/sign-in`, { method: "POST", body: new Uint8Array(bytes("username=a", [0xff], "&password=x")), headers: { "content-type": "application/x-www-form-urlencoded" } });
    await refusedWith(await refuseInvalidUtf8(form));
  });

  it("a request target (as server.ts receives it) with percent-encoded bytes that are not UTF-8", () => {
    expect(invalidUtf8InTarget("/api/sessions?name=%FF%FE")).toContain("query string");
    expect(invalidUtf8InTarget("/api/audit?session=a%C0%AF")).toContain("not valid UTF-8");
    expect(invalidUtf8InTarget("/api/sessions/%FF")).toContain("path");
    expect(invalidUtf8InTarget("/api/sessions/%E6%97%A5?name=%E6%97%A5*&page=2")).toBeNull();
    expect(invalidUtf8InTarget("/")).toBeNull();
  });

  it("lets UTF-8 through, including multi-byte text", async () => {
    const req = post(Buffer.from(JSON.stringify([{ name: "Grüße-日本 🙂" }])));
    expect(await refuseInvalidUtf8(req)).toBeNull();
    expect(await refuseInvalidUtf8(new NextRequest(`${BASE}/sessions`))).toBeNull();
  });
});
