import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// The CLI's HTTP client for the REST API. Knows nothing of the console's internals: only the
// documented endpoints, the Bearer token and the one error shape.

export type TCliConfig = { url: string; token: string };

/** Exit codes that say what failed. */
export const EXIT = { ok: 0, someFailed: 1, usage: 2, auth: 3, notFound: 4, server: 5 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function configFilePath(): string {
  return process.env.BATON_CONFIG ?? path.join(os.homedir(), ".config", "baton", "config.json");
}

/** BATON_URL and BATON_TOKEN, else the config file (which must be readable by its owner only). */
export function loadConfig(): TCliConfig {
  let url = process.env.BATON_URL;
  let token = process.env.BATON_TOKEN;
  const file = configFilePath();
  if ((!url || !token) && fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) throw new CliError(`${file} is readable by others (mode ${mode.toString(8)}): it holds a token. Run chmod 600 ${file}.`, EXIT.usage);
    let parsed: { url?: unknown; token?: unknown };
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new CliError(`${file} is not valid JSON: ${(err as Error).message}`, EXIT.usage);
    }
    url ??= typeof parsed.url === "string" ? parsed.url : undefined;
    token ??= typeof parsed.token === "string" ? parsed.token : undefined;
  }
  if (!url) throw new CliError("Set BATON_URL to the console's address (e.g. https://baton.example.com), or put url in " + file, EXIT.usage);
  if (!token) throw new CliError("Set BATON_TOKEN to a personal access token (the console's Access tokens page), or put token in " + file, EXIT.usage);
  try {
    new URL(url);
  } catch {
    throw new CliError(`BATON_URL is not a URL: ${url}`, EXIT.usage);
  }
  return { url: url.replace(/\/+$/, ""), token };
}

const exitFor = (status: number) => (status === 401 || status === 403 ? EXIT.auth : status === 404 ? EXIT.notFound : status < 500 ? EXIT.usage : EXIT.server);

export async function api<T>(config: TCliConfig, method: string, urlPath: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(config.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${config.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`Cannot reach the console at ${config.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, EXIT.server);
  }
  const text = await res.text();
  let json: { data?: T; error?: { code: string; message: string } };
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`The console answered ${res.status} with something other than JSON (is BATON_URL the console?).`, exitFor(res.status));
  }
  if (!res.ok || json.error) throw new CliError(json.error?.message ?? `HTTP ${res.status}`, exitFor(res.status), json.error?.code);
  return json.data as T;
}
