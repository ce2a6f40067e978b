import fs from "node:fs";
import { parseArgs } from "node:util";
import { loadConfigurations, minIdleTimeoutSec } from "./config";
import { agentRun, endLeftovers, scrubEnvironBlock, startWatchdog } from "./isolation";
import { LimitsController, killPids } from "./limits";
import { createLogger } from "./logger";
import { createAgentServer } from "./server";
import { SessionManager } from "./session-manager";
import { writeRcFile } from "./shell";
import { certificateFingerprint, loadTlsFiles } from "./tls";

const VERSION = "0.1.0";

const USAGE = `Usage: npm run agent -- --name <ComputerName> --port <port> [--host 127.0.0.1]
       [--config sessions.json] [--token-file <path>] [--tls-cert <pem> --tls-key <pem>]
       [--heartbeat-ms 10000] [--log-level info]
       npm run agent -- --print-fingerprint --tls-cert <pem>
The token comes from BATON_AGENT_TOKEN or --token-file (never a flag).
--print-fingerprint prints the SHA-256 fingerprint of the certificate (to register the computer
with) and exits; the agent also logs it when it starts listening.`;

function fail(message: string): never {
  process.stderr.write(`baton agent: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: "string" },
        port: { type: "string" },
        host: { type: "string", default: process.env.BATON_AGENT_HOST ?? "127.0.0.1" },
        config: { type: "string" },
        "token-file": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "heartbeat-ms": { type: "string", default: "10000" },
        "closed-retention-ms": { type: "string", default: String(15 * 60_000) },
        "log-level": { type: "string", default: process.env.BATON_AGENT_LOG_LEVEL ?? "info" },
        "print-fingerprint": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values["print-fingerprint"]) {
    // Needs only the certificate: an operator runs it before there is a token or a registration.
    if (!values["tls-cert"]) fail("--print-fingerprint needs --tls-cert <pem>");
    try {
      process.stdout.write(`${certificateFingerprint(fs.readFileSync(values["tls-cert"]), values["tls-cert"])}\n`);
    } catch (err) {
      fail((err as Error).message);
    }
    return;
  }
  const name = values.name;
  if (!name || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) fail("--name is required (letters, digits, . _ -, at most 64)");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail("--port is required (0-65535; 0 picks a free port)");
  const heartbeatMs = Number(values["heartbeat-ms"]);
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 100) fail("--heartbeat-ms must be an integer >= 100");

  const tokenFile = values["token-file"];
  let tokens = [process.env.BATON_AGENT_TOKEN ?? ""].filter(Boolean);
  if (tokenFile) {
    try {
      tokens = readTokenFile(tokenFile);
    } catch (err) {
      fail(`cannot use --token-file: ${(err as Error).message}`);
    }
  }
  if (!tokens.length) fail("refusing to start without a token: set BATON_AGENT_TOKEN or pass --token-file");
  if (tokens[0].length < 16) fail("the agent token must be at least 16 characters");
  const token = tokens[0];
  delete process.env.BATON_AGENT_TOKEN;
  // Same-user processes (the session shells) could otherwise read it from /proc/<agent pid>/environ.
  const tokenScrubbed = scrubEnvironBlock("BATON_AGENT_TOKEN");

  let tls: ReturnType<typeof loadTlsFiles> | undefined;
  const tlsCert = values["tls-cert"];
  const tlsKey = values["tls-key"];
  if (tlsCert || tlsKey) {
    if (!tlsCert || !tlsKey) fail("--tls-cert and --tls-key go together");
    try {
      tls = loadTlsFiles(tlsCert, tlsKey);
    } catch (err) {
      fail(`cannot use the TLS files: ${(err as Error).message}`);
    }
  }

  let configurations;
  try {
    configurations = loadConfigurations(values.config);
  } catch (err) {
    fail((err as Error).message);
  }

  const log = createLogger({ name, level: values["log-level"] });
  const minIdle = minIdleTimeoutSec(process.env);
  if (!tokenScrubbed) log.warn("could not blank the token in /proc/self/environ; processes of the agent's user can read it there");
  if (minIdle.overridden) log.warn({ minIdleTimeoutSec: minIdle.value }, "test mode: minimum idle timeout lowered");

  const self = agentRun(name);
  const limits = new LimitsController(log);
  limits.probe(self);
  // Before anything listens: what a killed previous run left behind is ended and reported.
  const leftovers = endLeftovers({ self, limits, log });
  startWatchdog({ self, limits, log });
  const rc = writeRcFile();
  const manager = new SessionManager({
    computerName: name,
    log,
    limits,
    rcPath: rc.path,
    configurations,
    minIdleTimeoutSec: minIdle.value,
    closedRetentionMs: Number(values["closed-retention-ms"]),
    readyTimeoutMs: 10_000,
  });
  const agent = createAgentServer({ name, version: VERSION, token, log, manager, heartbeatMs, tls, leftovers });
  if (tokens.length > 1) agent.setTokens(tokens);

  agent.server.on("error", (err) => {
    log.fatal({ err: err.message }, "cannot listen");
    process.exit(1);
  });
  agent.server.listen(port, values.host, () => {
    const addr = agent.server.address();
    const actualPort = typeof addr === "object" && addr ? addr.port : port;
    log.info(
      { host: values.host, port: actualPort, tls: Boolean(tls), tlsFingerprint: tls?.fingerprint, configurations: configurations.map((c) => c.name), heartbeatMs },
      "agent listening",
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: ending every session");
    manager.shutdown();
    agent.close().finally(async () => {
      // Wait (briefly) until the shells are really gone, so their cgroups can be removed too.
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && !limits.allSessionCgroupsEmpty()) {
        killPids(limits.allSessionPids());
        await new Promise((r) => setTimeout(r, 50));
      }
      limits.shutdown();
      fs.rmSync(rc.dir, { recursive: true, force: true });
      log.info("stopped");
      log.flush?.();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // Token and certificate rotation (docs/deploy.md): SIGHUP re-reads --token-file and the TLS
  // files. Open streams and sessions carry on.
  process.on("SIGHUP", () => {
    if (tls && tlsCert && tlsKey) {
      try {
        const next = loadTlsFiles(tlsCert, tlsKey);
        agent.setTls(next);
        tls = next;
        log.info({ tlsFingerprint: next.fingerprint }, "TLS files re-read: new connections get this certificate");
      } catch (err) {
        log.error({ err: (err as Error).message, tlsFingerprint: tls.fingerprint }, "SIGHUP: TLS files not usable; the certificate in use stays");
      }
    }
    if (!tokenFile) return log.warn("SIGHUP: the token came from BATON_AGENT_TOKEN, which cannot be re-read; restart the agent to change it");
    try {
      const next = readTokenFile(tokenFile);
      agent.setTokens(next);
      log.info({ tokens: next.length }, next.length > 1 ? "token file re-read: current and previous token accepted" : "token file re-read: one token accepted");
    } catch (err) {
      log.error({ err: (err as Error).message }, "SIGHUP: token file not usable; the tokens accepted so far stay");
    }
  });
}

/**
 * The token file: the current token on its first line and, while a rotation is under way, the
 * previous one on the second (both accepted). Blank lines are ignored; more than two, or a token
 * shorter than 16 characters, is an error that names the line.
 */
function readTokenFile(file: string): string[] {
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (!lines.length) throw new Error(`${file} holds no token`);
  if (lines.length > 2) throw new Error(`${file} holds ${lines.length} tokens; at most two (the current one, then the previous one)`);
  lines.forEach((t, i) => {
    if (t.length < 16) throw new Error(`${file}: the token on line ${i + 1} is shorter than 16 characters`);
  });
  return lines;
}

main();
