import { Command, InvalidArgumentError, Option } from "commander";
import { api, CliError, EXIT, loadConfig, type TCliConfig } from "@/lib/cli/client";
import type { TBulkOperation, TBulkOutcome, TReceiveResult, TSessionPage, TSessionRow } from "@/lib/dto/sessions";

// `baton`: the PowerShell session cmdlets as a CLI over the REST API. Verbs and parameter names
// follow the cmdlets (Get-PSSession -ComputerName -Name → get-session --computer-name --name).
// People get tables; programs get JSON lines (--json), and a command that acts on sessions reads
// JSON lines from stdin when given no --id, so `get-session --json | disconnect-session` works.

const HELP_COLUMNS: [string, (s: TSessionRow) => string][] = [
  ["Id", (s) => String(s.agentSessionId)],
  ["Name", (s) => s.name],
  ["ComputerName", (s) => s.computerName],
  ["State", (s) => s.state],
  ["ConfigurationName", (s) => s.configurationName],
  ["Availability", (s) => s.availability],
];

function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, not ${JSON.stringify(value)}.`);
  const n = Number(value);
  if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
  return n;
};

type TSelectOpts = { computerName?: string[]; name?: string; state?: string };

async function listSessions(config: TCliConfig, opts: TSelectOpts): Promise<TSessionRow[]> {
  const out: TSessionRow[] = [];
  for (const computer of opts.computerName?.length ? opts.computerName : [undefined]) {
    for (let page = 1; ; page++) {
      const q = new URLSearchParams({ page: String(page), pageSize: "200" });
      if (computer) q.set("computer", computer);
      if (opts.name) q.set("name", opts.name);
      if (opts.state) q.set("state", opts.state);
      const data = await api<TSessionPage>(config, "GET", `/api/v1/sessions?${q}`);
      out.push(...data.rows);
      // A capped total ("10,000+") is a lower bound: keep paging until a page comes back short.
      if ((!data.totalCapped && page * data.pageSize >= data.total) || data.rows.length < data.pageSize) break;
    }
  }
  return out;
}

/** The sessions a command acts on: --id, else a selection, else JSON lines on stdin (a pipeline). */
async function targetIds(config: TCliConfig, opts: TSelectOpts & { id?: string[] }): Promise<string[]> {
  if (opts.id?.length) return opts.id;
  if (opts.computerName?.length || opts.name) return (await listSessions(config, opts)).map((s) => s.id);
  if (process.stdin.isTTY) throw new CliError("Name the sessions: --id, --computer-name/--name, or pipe get-session --json into this command.", EXIT.usage);
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const ids: string[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    let value: { id?: unknown };
    try {
      value = JSON.parse(line);
    } catch {
      throw new CliError(`stdin line ${i + 1} is not JSON: expected the JSON lines of get-session --json.`, EXIT.usage);
    }
    if (typeof value.id !== "string") throw new CliError(`stdin line ${i + 1} has no "id": expected the JSON lines of get-session --json.`, EXIT.usage);
    ids.push(value.id);
  }
  return ids;
}

type TBulkOpts = TSelectOpts & { id?: string[]; json?: boolean; throttleLimit?: number; idleTimeoutSec?: number; outputBufferingMode?: string };

async function bulk(config: TCliConfig, operation: TBulkOperation, opts: TBulkOpts): Promise<number> {
  const sessionIds = await targetIds(config, opts);
  if (sessionIds.length === 0) {
    process.stderr.write(`${operation}: no sessions to act on.\n`);
    return EXIT.ok;
  }
  const { jobId, total } = await api<{ jobId: string; total: number }>(config, "POST", "/api/v1/sessions/bulk", {
    operation,
    sessionIds,
    ...(opts.throttleLimit !== undefined ? { throttleLimit: opts.throttleLimit } : {}),
    ...(opts.idleTimeoutSec !== undefined ? { idleTimeoutSec: opts.idleTimeoutSec } : {}),
    ...(opts.outputBufferingMode ? { outputBufferingMode: opts.outputBufferingMode } : {}),
  });
  let job: { finished: boolean; outcomes: TBulkOutcome[] };
  do {
    job = await api(config, "GET", `/api/v1/sessions/bulk/${jobId}?wait=1`);
    process.stderr.write(`${operation}: ${job.outcomes.length}/${total} done\n`);
  } while (!job.finished);
  for (const o of job.outcomes) {
    if (opts.json) process.stdout.write(JSON.stringify({ id: o.sessionId, name: o.name, computerName: o.computerName, ok: o.ok, state: o.state, error: o.error }) + "\n");
    else if (o.ok) process.stdout.write(`${o.computerName}\t${o.name}\t${o.state}\n`);
    if (!o.ok) process.stderr.write(`${o.computerName}/${o.name}: ${o.error}\n`);
  }
  return job.outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.someFailed;
}

const selectOptions = (cmd: Command) =>
  cmd
    .option("-i, --id <ids...>", "console ids of the sessions (as get-session --json prints them)")
    .option("-c, --computer-name <names...>", "computers, by exact name")
    .option("-n, --name <pattern>", "session name; wildcards * and ?")
    .option("--json", "write one JSON object per line")
    .addOption(new Option("-t, --throttle-limit <n>", "at most this many agent requests at once (default 32)").argParser(wholeNumber("--throttle-limit", 1, 256)));

export function buildProgram(): Command {
  const program = new Command("baton")
    .description("Baton's disconnected sessions from the command line (BATON_URL, BATON_TOKEN).")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("get-session")
    .alias("gsn")
    .description("List sessions (Get-PSSession)")
    .option("-c, --computer-name <names...>", "computers, by exact name")
    .option("-n, --name <pattern>", "session name; wildcards * and ?")
    .addOption(new Option("-s, --state <state>", "only sessions in this state").choices(["Opened", "Disconnected", "Broken", "Closed"]))
    .option("--json", "write one JSON object per line")
    .action(async (opts: TSelectOpts & { json?: boolean }) => {
      const rows = await listSessions(loadConfig(), opts);
      if (opts.json) for (const s of rows) process.stdout.write(JSON.stringify(s) + "\n");
      else process.stdout.write(table(rows.map((s) => HELP_COLUMNS.map(([, f]) => f(s))), HELP_COLUMNS.map(([h]) => h)));
    });

  selectOptions(program.command("disconnect-session").alias("dnsn").description("Disconnect sessions (Disconnect-PSSession)"))
    .addOption(new Option("--idle-timeout-sec <n>", "how long the session may stay disconnected").argParser(wholeNumber("--idle-timeout-sec", 1, 2_147_483)))
    .addOption(new Option("--output-buffering-mode <mode>", "what happens when the output buffer is full").choices(["Block", "Drop", "None"]))
    .action(async (opts: TBulkOpts) => void (process.exitCode = await bulk(loadConfig(), "disconnect", opts)));
  selectOptions(program.command("connect-session").alias("cnsn").description("Connect to disconnected sessions (Connect-PSSession)")).action(
    async (opts: TBulkOpts) => void (process.exitCode = await bulk(loadConfig(), "connect", opts)),
  );
  selectOptions(program.command("remove-session").alias("rsn").description("End sessions and their processes (Remove-PSSession)")).action(
    async (opts: TBulkOpts) => void (process.exitCode = await bulk(loadConfig(), "remove", opts)),
  );

  program
    .command("receive-session")
    .alias("rcsn")
    .description("Write a session's output since it was last received to stdout (Receive-PSSession)")
    .requiredOption("-i, --id <id>", "console id of the session")
    .action(async (opts: { id: string }) => {
      const r = await api<TReceiveResult>(loadConfig(), "POST", `/api/v1/sessions/${encodeURIComponent(opts.id)}/receive`, { encoding: "base64" });
      // The session's bytes unchanged: base64 over the API, raw bytes on stdout.
      process.stdout.write(Buffer.from(r.output, "base64"));
      if (r.droppedBytes) process.stderr.write(`${r.session.name}: ${r.droppedBytes} bytes were dropped while disconnected (OutputBufferingMode Drop).\n`);
    });

  program
    .command("invoke-command")
    .alias("icm")
    .description("Run a command in a session (Invoke-Command -Session)")
    .requiredOption("-i, --id <id>", "console id of the session")
    .requiredOption("--script-block <command>", "the command line to run")
    .option("--in-disconnected-session", "start it and disconnect at once")
    .option("--json", "write the session as one JSON line")
    .action(async (opts: { id: string; scriptBlock: string; inDisconnectedSession?: boolean; json?: boolean }) => {
      const s = await api<TSessionRow>(loadConfig(), "POST", `/api/v1/sessions/${encodeURIComponent(opts.id)}/run`, { command: opts.scriptBlock, inDisconnectedSession: !!opts.inDisconnectedSession });
      process.stdout.write(opts.json ? JSON.stringify(s) + "\n" : `${s.computerName}\t${s.name}\t${s.state}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code?.startsWith("commander.")) return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      process.stderr.write(`baton: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`baton: ${e.message}\n`);
    return EXIT.server;
  }
}
