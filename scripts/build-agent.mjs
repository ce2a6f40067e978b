#!/usr/bin/env node
// Builds the deployable agent host: one JavaScript file run with plain `node`, no tsx and no
// esbuild at run time. node-pty is a native addon and stays outside the bundle: it is resolved
// from a node_modules beside the bundle (or above it, as in this repository), and the
// package.json written next to the bundle names it so `npm install --omit=dev` there fetches it.
//   node scripts/build-agent.mjs             build dist/agent/
//   node scripts/build-agent.mjs --if-stale  build only when the bundle is missing or older than its sources
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "dist/agent");
const outFile = path.join(outDir, "baton-agent.mjs");
// Everything the agent imports from the repository lives in these folders (lib/agent never imports the console).
const SOURCES = ["lib/agent", "lib/protocol"].map((d) => path.join(root, d));

function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCES) walk(d);
  return Math.max(newest, fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
}

export function agentBuildIsStale() {
  try {
    return fs.statSync(outFile).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

export async function buildAgent() {
  const { build } = await import("esbuild");
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  fs.mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, "lib/agent/main.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["node-pty"],
    // CommonJS dependencies (pino, ws) call require() for Node's built-ins; an ES module has none.
    banner: { js: "import { createRequire as __batonCreateRequire } from 'node:module';\nconst require = __batonCreateRequire(import.meta.url);" },
    define: { "process.env.NODE_ENV": '"production"' },
    sourcemap: "linked",
    logLevel: "warning",
    metafile: true,
  });
  fs.writeFileSync(
    path.join(outDir, "package.json"),
    `${JSON.stringify(
      {
        name: "baton-agent",
        version: pkg.version,
        private: true,
        description: "Baton agent host (built by npm run build:agent). Install node-pty beside it: npm install --omit=dev",
        type: "module",
        bin: { "baton-agent": "baton-agent.mjs" },
        engines: pkg.engines,
        dependencies: { "node-pty": pkg.dependencies["node-pty"] },
      },
      null,
      2,
    )}\n`,
  );
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outFile, bytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes("--if-stale");
  if (ifStale && !agentBuildIsStale()) process.exit(0);
  buildAgent().then(
    ({ outFile: f, bytes }) => console.log(`agent bundle: ${path.relative(process.cwd(), f)} (${(bytes / 1024).toFixed(0)} KiB with its source map)`),
    (err) => {
      console.error(`build:agent failed: ${err.message}`);
      process.exit(1);
    },
  );
}
