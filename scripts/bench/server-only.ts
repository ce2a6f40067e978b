import { register } from "node:module";
import path from "node:path";

// Imported first by benchmarks that load the console's data layer in their own process. Its
// modules start with `import "server-only"`, which throws outside React's server bundle; a
// benchmark process is a server, so the import resolves to the package's empty module.
const root = path.resolve(import.meta.dirname, "../..");
register(
  `data:text/javascript,${encodeURIComponent(
    `export async function resolve(s, c, next) { return s === "server-only" ? { url: ${JSON.stringify(`file://${path.join(root, "node_modules/server-only/empty.js")}`)}, shortCircuit: true } : next(s, c); }`,
  )}`,
);
