#!/usr/bin/env node
// The baton CLI (lib/cli/main.ts), run through tsx like the console and the agent.
import { register } from "tsx/esm/api";

register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname });
const { main } = await import("../lib/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
