import { Command, InvalidArgumentError, Option } from "commander";
import { api, CliError, EXIT, loadConfig, type TCliConfig } from "@/lib/cli/client";
import { assertTerminal, attachTerminal } from "@/lib/cli/attach";
import { openConfirmer, type TConfirmer } from "@/lib/cli/confirm";
import type { TComputerRow } from "@/lib/dto/computers";
import type { TBulkOperation, TBulkOutcome, TPreviewItem, TReceiveResult, TSessionPage, TSessionRow } from "@/lib/dto/sessions";

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

/**
 * --computer-name takes several names as PowerShell's -ComputerName does: space-separated
 * (`-c Srv1 Srv2`), a comma list (`-c Srv1,Srv2`) or both (`-c Srv1, Srv2`).
 */
const computerNames = (value: string, previous: string[] | undefined): string[] => {
  const names = value.split(",").map((n) => n.trim());
  if (names.some((n, i) => n === "" && i > 0 && i < names.length - 1)) throw new InvalidArgumentError(`--computer-name has an empty name in ${JSON.stringify(value)}.`);
  return [...(previous ?? []), ...names.filter((n) => n !== "")];
};

/** What -WhatIf and -Confirm call each operation: the cmdlet's name. */
const CMDLET: Record<TBulkOperation | "new", string> = {
  new: "New-PSSession",
  disconnect: "Disconnect-PSSession",
  connect: "Connect-PSSession",
  receive: "Receive-PSSession",
  remove: "Remove-PSSession",
};

const describeTarget = (op: TBulkOperation | "new", name: string, computerName: string) => `Performing the operation "${CMDLET[op]}" on target "Name: ${name}, ComputerName: ${computerName}"`;

const predicted = (p: TPreviewItem) => (p.resultingState ? `${p.state} → ${p.resultingState}${p.note ? `; ${p.note}` : ""}` : `${p.state}, would be refused: ${p.note ?? "not allowed"}`);

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
      // A capped total ("1,000+") is a lower bound: keep paging until a page comes back short.
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

type TBulkOpts = TSelectOpts & {
  id?: string[];
  json?: boolean;
  throttleLimit?: number;
  idleTimeoutSec?: number;
  outputBufferingMode?: string;
  whatIf?: boolean;
  confirm?: boolean;
};

/** The console's own prediction of what an operation would do to each session (changes nothing). */
const preview = (config: TCliConfig, operation: TBulkOperation, sessionIds: string[]) =>
  api<TPreviewItem[]>(config, "POST", "/api/v1/sessions/preview", { operation, sessionIds });

async function bulk(config: TCliConfig, operation: TBulkOperation, opts: TBulkOpts): Promise<number> {
  // -WhatIf wins over -Confirm, as in PowerShell: nothing is asked and nothing changes.
  const confirmer = opts.confirm && !opts.whatIf ? openConfirmer() : null;
  try {
    return await bulkWith(config, operation, opts, confirmer);
  } finally {
    confirmer?.close();
  }
}

async function bulkWith(config: TCliConfig, operation: TBulkOperation, opts: TBulkOpts, confirmer: TConfirmer | null): Promise<number> {
  let sessionIds = await targetIds(config, opts);
  if (sessionIds.length === 0) {
    process.stderr.write(`${operation}: no sessions to act on.\n`);
    return EXIT.ok;
  }
  if (opts.whatIf) {
    for (const p of await preview(config, operation, sessionIds)) {
      if (opts.json) process.stdout.write(JSON.stringify({ whatIf: true, operation, id: p.sessionId, name: p.name, computerName: p.computerName, state: p.state, resultingState: p.resultingState, note: p.note }) + "\n");
      else process.stdout.write(`What if: ${describeTarget(operation, p.name, p.computerName)}: ${predicted(p)}.\n`);
    }
    return EXIT.ok;
  }
  if (confirmer) {
    const confirmed: string[] = [];
    for (const p of await preview(config, operation, sessionIds)) {
      if ((await confirmer.ask(`Are you sure you want to perform this action?\n${describeTarget(operation, p.name, p.computerName)} (${predicted(p)}).`)) === "yes") confirmed.push(p.sessionId);
    }
    if (confirmed.length === 0) {
      process.stderr.write(`${operation}: nothing confirmed, nothing changed.\n`);
      return EXIT.ok;
    }
    sessionIds = confirmed;
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
    if (!o.ok) process.stderr.write(`${o.computerName}/${o.name}: ${o.error}\n`);
  }
  const done = job.outcomes.filter((o) => o.ok);
  if (!opts.json && done.length) process.stdout.write(table(done.map((o) => [o.name, o.computerName, o.state ?? ""]), ["Name", "ComputerName", "State"]));
  return job.outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.someFailed;
}

const selectOptions = (cmd: Command) =>
  cmd
    .option("-i, --id <ids...>", "console ids of the sessions (as get-session --json prints them)")
    .addOption(computerNameOption())
    .option("-n, --name <pattern>", "session name; wildcards * and ?")
    .option("--json", "write one JSON object per line")
    .addOption(new Option("-t, --throttle-limit <n>", "at most this many agent requests at once (default 32)").argParser(wholeNumber("--throttle-limit", 1, 256)))
    .option("--what-if", "show what would happen to each session; change nothing")
    .option("--confirm", "ask on the terminal before acting on each session");

const computerNameOption = () => new Option("-c, --computer-name <names...>", "computers, by exact name: Srv1 Srv2, or Srv1,Srv2").argParser(computerNames);
const idleTimeoutOption = () => new Option("--idle-timeout-sec <n>", "how long the session may stay disconnected").argParser(wholeNumber("--idle-timeout-sec", 1, 2_147_483));
const bufferingOption = () => new Option("--output-buffering-mode <mode>", "what happens when the output buffer is full").choices(["Block", "Drop", "None"]);

type TNewOpts = {
  computerName: string[];
  name: string;
  configurationName: string;
  idleTimeoutSec?: number;
  outputBufferingMode?: string;
  json?: boolean;
  whatIf?: boolean;
  confirm?: boolean;
};

/** New-PSSession -ComputerName Srv1, Srv2: every computer and configuration checked before any session is made. */
async function newSessions(config: TCliConfig, opts: TNewOpts, confirmer: TConfirmer | null): Promise<number> {
  const computers = await api<TComputerRow[]>(config, "GET", "/api/v1/computers");
  const wanted = [...new Set(opts.computerName)];
  const found = wanted.map((n) => computers.find((c) => c.name === n) ?? computers.find((c) => c.name.toLowerCase() === n.toLowerCase()));
  const unknown = wanted.filter((_, i) => !found[i]);
  if (unknown.length) {
    const known = computers.length > 10 ? `${computers.slice(0, 10).map((c) => c.name).join(", ")} and ${computers.length - 10} more` : computers.map((c) => c.name).join(", ") || "no computers";
    throw new CliError(`No computer named ${unknown.join(", ")}. Nothing was created. (baton knows ${known}.)`, EXIT.notFound);
  }
  const targets = found as TComputerRow[];
  const lacking = targets.filter((c) => !c.configurations.some((k) => k.name.toLowerCase() === opts.configurationName.toLowerCase()));
  if (lacking.length) {
    throw new CliError(`${lacking.map((c) => c.name).join(", ")} has no session configuration ${JSON.stringify(opts.configurationName)}. Nothing was created.`, EXIT.notFound);
  }
  const rows: TSessionRow[] = [];
  let failed = 0;
  for (const c of targets) {
    const what = describeTarget("new", opts.name, c.name);
    if (opts.whatIf) {
      if (opts.json) process.stdout.write(JSON.stringify({ whatIf: true, operation: "new", name: opts.name, computerName: c.name, configurationName: opts.configurationName }) + "\n");
      else process.stdout.write(`What if: ${what} with configuration ${opts.configurationName}.\n`);
      continue;
    }
    if (confirmer && (await confirmer.ask(`Are you sure you want to perform this action?\n${what}.`)) === "no") continue;
    try {
      rows.push(
        await api<TSessionRow>(config, "POST", "/api/v1/sessions", {
          computerId: c.id,
          name: opts.name,
          configurationName: opts.configurationName,
          ...(opts.idleTimeoutSec !== undefined ? { idleTimeoutSec: opts.idleTimeoutSec } : {}),
          ...(opts.outputBufferingMode ? { outputBufferingMode: opts.outputBufferingMode } : {}),
        }),
      );
    } catch (err) {
      // One computer's refusal (quota, agent away) does not stop the others; each is named.
      if (!(err instanceof CliError) || err.exitCode === EXIT.auth) throw err;
      failed++;
      process.stderr.write(`${c.name}/${opts.name}: ${err.message}\n`);
    }
  }
  if (opts.json) for (const s of rows) process.stdout.write(JSON.stringify(s) + "\n");
  else if (rows.length) process.stdout.write(table(rows.map((s) => HELP_COLUMNS.map(([, f]) => f(s))), HELP_COLUMNS.map(([h]) => h)));
  return failed ? EXIT.someFailed : EXIT.ok;
}

export function buildProgram(): Command {
  const program = new Command("baton")
    .description("Baton's disconnected sessions from the command line (BATON_URL, BATON_TOKEN).")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("get-session")
    .alias("gsn")
    .description("List sessions (Get-PSSession)")
    .addOption(computerNameOption())
    .option("-n, --name <pattern>", "session name; wildcards * and ?")
    .addOption(new Option("-s, --state <state>", "only sessions in this state").choices(["Opened", "Disconnected", "Broken", "Closed"]))
    .option("--json", "write one JSON object per line")
    .action(async (opts: TSelectOpts & { json?: boolean }) => {
      const rows = await listSessions(loadConfig(), opts);
      if (opts.json) for (const s of rows) process.stdout.write(JSON.stringify(s) + "\n");
      else process.stdout.write(table(rows.map((s) => HELP_COLUMNS.map(([, f]) => f(s))), HELP_COLUMNS.map(([h]) => h)));
    });

  selectOptions(program.command("disconnect-session").alias("dnsn").description("Disconnect sessions (Disconnect-PSSession)"))
    .addOption(idleTimeoutOption())
    .addOption(bufferingOption())
    .action(async (opts: TBulkOpts) => void (process.exitCode = await bulk(loadConfig(), "disconnect", opts)));
  selectOptions(program.command("connect-session").alias("cnsn").description("Connect to disconnected sessions (Connect-PSSession); --attach: its terminal here"))
    .option("--attach", "connect to one session and open its terminal here (detach: Ctrl-])")
    .action(async (opts: TBulkOpts & { attach?: boolean }) => {
      const config = loadConfig();
      if (!opts.attach) return void (process.exitCode = await bulk(config, "connect", opts));
      if (opts.whatIf || opts.confirm || opts.json) throw new CliError("--attach opens a terminal: it does not take --what-if, --confirm or --json.", EXIT.usage);
      if (!opts.id?.length && !opts.computerName?.length && !opts.name) throw new CliError("--attach needs the session: --id, or --computer-name and --name.", EXIT.usage);
      assertTerminal();
      const ids = await targetIds(config, opts);
      if (ids.length !== 1) throw new CliError(`--attach opens one session's terminal, and ${ids.length} sessions match: narrow it with --id or --computer-name and --name.`, EXIT.usage);
      const detail = await api<{ session: TSessionRow }>(config, "GET", `/api/v1/sessions/${encodeURIComponent(ids[0])}`);
      let session = detail.session;
      // Connect-PSSession first unless it is already Opened and attached to you (state reads
      // Disconnected to you when someone else holds it, and Connect says why it cannot).
      if (session.state !== "Opened") session = await api<TSessionRow>(config, "POST", `/api/v1/sessions/${encodeURIComponent(session.id)}/connect`, {});
      process.exitCode = await attachTerminal(config, session);
    });
  selectOptions(program.command("remove-session").alias("rsn").description("End sessions and their processes (Remove-PSSession)")).action(
    async (opts: TBulkOpts) => void (process.exitCode = await bulk(loadConfig(), "remove", opts)),
  );

  program
    .command("new-session")
    .alias("nsn")
    .description("Create a session on each computer (New-PSSession)")
    .addOption(computerNameOption().makeOptionMandatory())
    .requiredOption("-n, --name <name>", "the session's name")
    .option("--configuration-name <name>", "the session configuration", "Microsoft.PowerShell")
    .addOption(idleTimeoutOption())
    .addOption(bufferingOption())
    .option("--json", "write one JSON object per line")
    .option("--what-if", "show the sessions that would be created; create none")
    .option("--confirm", "ask on the terminal before creating each session")
    .action(async (opts: TNewOpts) => {
      const confirmer = opts.confirm && !opts.whatIf ? openConfirmer() : null;
      try {
        process.exitCode = await newSessions(loadConfig(), opts, confirmer);
      } finally {
        confirmer?.close();
      }
    });

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
