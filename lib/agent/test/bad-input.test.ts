import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZAgentErrorBody } from "../../protocol";
import { admin, alice, startAgent, type RunningAgent } from "./helpers";

let agent: RunningAgent;
let sessionId: number;

beforeAll(async () => {
  agent = await startAgent({ name: "Bad1", configurations: [{ name: "Restricted", allowedRoles: ["admin"] }] });
  sessionId = (await agent.client.newSession(alice, { name: "Existing" })).id;
});
afterAll(async () => {
  await agent?.stop();
});

/** Every refusal is a JSON {error:{code,message}} with a 4xx status, and the sessions are unchanged. */
async function expectRefused(res: Promise<{ status: number; body: unknown }>, status: number, code: string) {
  const before = JSON.stringify((await agent.client.listSessions(alice)).map((s) => [s.id, s.state, s.holder?.id, s.idleTimeoutSec, s.outputOffset]));
  const r = await res;
  expect(r.status).toBe(status);
  const body = ZAgentErrorBody.parse(r.body);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  const after = JSON.stringify((await agent.client.listSessions(alice)).map((s) => [s.id, s.state, s.holder?.id, s.idleTimeoutSec, s.outputOffset]));
  expect(after).toBe(before);
  return body.error;
}

describe("bad input gets a clear 4xx and changes nothing", () => {
  it("wrong, missing or malformed tokens", async () => {
    await expectRefused(agent.client.raw("GET", "/v1/sessions", { as: alice, token: "not-the-token-at-all-0000000000" }), 401, "UNAUTHORIZED");
    await expectRefused(agent.client.raw("GET", "/v1/health", { token: agent.token.slice(0, -1) }), 401, "UNAUTHORIZED");
    await expectRefused(agent.client.raw("GET", "/v1/health", { token: "", headers: { authorization: "Basic abc" } }), 401, "UNAUTHORIZED");
    await expectRefused(
      agent.client.raw("POST", "/v1/sessions", { as: alice, token: "wrong", body: JSON.stringify({ name: "Sneaky" }) }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("no acting user", async () => {
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { body: JSON.stringify({ name: "Anon" }) }), 400, "USER_REQUIRED");
    await expectRefused(agent.client.raw("GET", "/v1/sessions"), 400, "USER_REQUIRED");
  });

  it("malformed JSON, wrong types, unknown fields", async () => {
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: "{\"name\": " }), 400, "MALFORMED_JSON");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: "[1,2" }), 400, "MALFORMED_JSON");
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: 42 }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "X", shell: "/bin/zsh" }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/disconnect`, { as: alice, body: JSON.stringify({ idleTimeoutSec: "60" }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/disconnect`, { as: alice, body: JSON.stringify({ outputBufferingMode: "Queue" }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/resize`, { as: alice, body: JSON.stringify({ cols: 0, rows: 10 }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: JSON.stringify({ command: "" }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: JSON.stringify({ command: "echo \u0000" }) }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("GET", "/v1/sessions?state=Sleeping", { as: alice }), 400, "VALIDATION_FAILED");
    await expectRefused(agent.client.raw("GET", "/v1/sessions?color=red", { as: alice }), 400, "VALIDATION_FAILED");
  });

  it("names with control characters", async () => {
    for (const name of ["IT\u0007Task", "line\nbreak", "tab\there", "esc\u001b[31m", "\u009bcsi", " padded", ""]) {
      const e = await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name }) }), 400, "VALIDATION_FAILED");
      expect(e.message).toContain("name");
    }
    await expectRefused(
      agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "ok", configurationName: "Micro\u0000soft" }) }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("bodies, query strings and headers that are not UTF-8", async () => {
    const withName = (bad: number[]) => Buffer.concat([Buffer.from('{"name":"ok'), Buffer.from(bad), Buffer.from('"}')]);
    // ff fe: not UTF-8 at all; c0 af: an overlong "/"; ed a0 80: an encoded surrogate; e2 82: cut short.
    for (const bad of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const e = await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: withName(bad) }), 400, "INVALID_UTF8");
      expect(e.message).toContain("not valid UTF-8");
    }
    await expectRefused(
      agent.client.raw("POST", `/v1/sessions/${sessionId}/input`, { as: alice, body: Buffer.concat([Buffer.from('{"data":"'), Buffer.from([0x80]), Buffer.from('"}')]) }),
      400,
      "INVALID_UTF8",
    );
    const q = await expectRefused(agent.client.raw("GET", "/v1/sessions?name=%FF%FE", { as: alice }), 400, "INVALID_UTF8");
    expect(q.message).toContain("query string");
    // A name header that is raw bytes instead of percent-encoded UTF-8.
    await expectRefused(
      agent.client.raw("GET", "/v1/sessions", { token: agent.token, headers: { "x-baton-user-id": alice.id, "x-baton-user-name": Buffer.from([0x61, 0xff]).toString("latin1") } }),
      400,
      "VALIDATION_FAILED",
    );
    await expectRefused(agent.client.raw("GET", "/v1/sessions", { token: agent.token, headers: { "x-baton-user-id": alice.id, "x-baton-user-name": "%FF" } }), 400, "VALIDATION_FAILED");
    // Valid multi-byte UTF-8 is still fine.
    const ok = await agent.client.raw("POST", "/v1/sessions", { as: alice, body: Buffer.from(JSON.stringify({ name: "Grüße-日本" }), "utf8") });
    expect(ok.status).toBe(201);
    await agent.client.remove(alice, (ok.body as { session: { id: number } }).session.id, { force: false });
  });

  it("names with bidi controls or zero-width characters, named with the character", async () => {
    const cases: [string, string][] = [
      ["report\u202Etxt.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"],
      ["a\u202Ab", "U+202A"],
      ["x\u2066y\u2069", "U+2066"],
      ["mark\u200Eed", "U+200E"],
      ["rl\u200Fm", "U+200F"],
      ["arabic\u061Cmark", "U+061C"],
      ["zero\u200Bwidth", "U+200B ZERO WIDTH SPACE"],
      ["zw\u200Dj", "U+200D"],
      ["wj\u2060", "U+2060"],
      ["\uFEFFbom", "U+FEFF"],
    ];
    for (const [name, char] of cases) {
      const e = await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name }) }), 400, "VALIDATION_FAILED");
      expect(e.message).toContain("at name");
      expect(e.message).toContain(char);
    }
    const c = await expectRefused(
      agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "ok", configurationName: "Microsoft\u202E.PowerShell" }) }),
      400,
      "VALIDATION_FAILED",
    );
    expect(c.message).toContain("configurationName");
    const u = await expectRefused(agent.client.raw("GET", "/v1/sessions", { as: { ...alice, name: "eve\u202Eecila" } }), 400, "VALIDATION_FAILED");
    expect(u.message).toContain("U+202E");
    const r = await expectRefused(
      agent.client.raw("PATCH", "/v1/configurations/Restricted", { as: admin, body: JSON.stringify({ allowedUsers: ["u-1\u200B"] }) }),
      400,
      "VALIDATION_FAILED",
    );
    expect(r.message).toContain("allowedUsers");
  });

  it("a stream text frame that is not UTF-8 closes the stream (1007) and changes nothing", async () => {
    const stream = await agent.client.openStream();
    const closed = new Promise<number>((resolve) => stream.ws.once("close", (code) => resolve(code)));
    stream.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    expect((await agent.client.health()).ok).toBe(true);
  });

  it("numbers are JSON numbers and query numbers are decimal digits", async () => {
    for (const idleTimeoutSec of [[60], "0x3c", "60", "6e1", 60.5, true, { n: 60 }, null]) {
      await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "Num", idleTimeoutSec }) }), 400, "VALIDATION_FAILED");
      await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/disconnect`, { as: alice, body: JSON.stringify({ idleTimeoutSec }) }), 400, "VALIDATION_FAILED");
      await expectRefused(
        agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: JSON.stringify({ command: "true", inDisconnectedSession: true, idleTimeoutSec }) }),
        400,
        "VALIDATION_FAILED",
      );
    }
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/resize`, { as: alice, body: JSON.stringify({ cols: [80], rows: "0x18" }) }), 400, "VALIDATION_FAILED");
    for (const id of ["0x1", "1e0", "+1", "-1", " 1", "1.0", ""]) {
      const e = await expectRefused(agent.client.raw("GET", `/v1/sessions?id=${encodeURIComponent(id)}`, { as: alice }), 400, "VALIDATION_FAILED");
      expect(e.message).toContain("id");
    }
    const byId = await agent.client.raw("GET", `/v1/sessions?id=${sessionId}`, { as: alice });
    expect((byId.body as { sessions: { id: number }[] }).sessions.map((s) => s.id)).toEqual([sessionId]);
  });

  it("oversized bodies", async () => {
    const big = JSON.stringify({ command: "x".repeat(300 * 1024) });
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: big }), 413, "PAYLOAD_TOO_LARGE");
    const tooLongCommand = JSON.stringify({ command: "y".repeat(65 * 1024) });
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/run`, { as: alice, body: tooLongCommand }), 400, "VALIDATION_FAILED");
    expect((await agent.client.health()).ok).toBe(true);
  });

  it("unknown ids, endpoints and methods", async () => {
    await expectRefused(agent.client.raw("GET", "/v1/sessions/9999", { as: alice }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("GET", "/v1/sessions/5f0c6a1e-3d39-4d8e-9b7a-000000000000", { as: alice }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("POST", "/v1/sessions/9999/connect", { as: alice, body: "{}" }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("POST", "/v1/sessions/9999/receive", { as: alice, body: "{}" }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("DELETE", "/v1/sessions/9999", { as: alice }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("POST", `/v1/sessions/${sessionId}/explode`, { as: alice, body: "{}" }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("GET", "/v2/sessions", { as: alice }), 404, "NOT_FOUND");
    await expectRefused(agent.client.raw("PUT", "/v1/sessions", { as: alice, body: "{}" }), 405, "METHOD_NOT_ALLOWED");
    await expectRefused(agent.client.raw("GET", `/v1/sessions/${sessionId}/run`, { as: alice }), 405, "METHOD_NOT_ALLOWED");
    await expectRefused(agent.client.raw("GET", "/v1/configurations/NoSuch"), 404, "CONFIGURATION_NOT_FOUND");
  });

  it("configurations the user may not use, or that do not exist", async () => {
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "R", configurationName: "Restricted" }) }), 403, "FORBIDDEN");
    await expectRefused(agent.client.raw("POST", "/v1/sessions", { as: alice, body: JSON.stringify({ name: "R", configurationName: "Ghost" }) }), 404, "CONFIGURATION_NOT_FOUND");
    await expectRefused(
      agent.client.raw("PATCH", "/v1/configurations/Restricted", { as: alice, body: JSON.stringify({ allowedRoles: ["*"] }) }),
      403,
      "FORBIDDEN",
    );
    await expectRefused(
      agent.client.raw("PATCH", "/v1/configurations/Restricted", { as: admin, body: JSON.stringify({ maxShells: -1 }) }),
      400,
      "VALIDATION_FAILED",
    );
    expect((await agent.client.getConfiguration("Restricted")).allowedRoles).toEqual(["admin"]);
  });
});
