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
