import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// app/ is the top of the program: routes import components/ and lib/, never the other way.
// A component that needs a route's server action lives beside that route or takes it as a prop.
const root = path.resolve(import.meta.dirname, "..");

const sourceFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? (e.name === "node_modules" || e.name === "generated" ? [] : sourceFiles(path.join(dir, e.name))) : /\.(ts|tsx|mts)$/.test(e.name) ? [path.join(dir, e.name)] : [],
    );

// Every module specifier a file names: static and dynamic imports, re-exports, vi.mock.
const specifiers = (text: string) => [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+|mock\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);

const reachesIntoApp = (file: string, spec: string) =>
  spec.startsWith("@/app/") || (spec.startsWith(".") && path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)[0] === "app");

describe("layering", () => {
  it("finds imports into app/ when there are some", () => {
    const file = path.join(root, "components/sessions/x.tsx");
    // Assembled so that this file does not itself name an import into app/.
    const app = "app/";
    const found = specifiers(`import { a } from "@/${app}(console)/sessions/actions";\nconst b = await import("../../${app}api/v1/me/route");\nimport c from "@/lib/x";`);
    expect(found.filter((s) => reachesIntoApp(file, s))).toEqual(["@/app/(console)/sessions/actions", "../../app/api/v1/me/route"]);
  });

  it("no file under components/ or lib/ imports from app/", () => {
    const offenders = ["components", "lib"].flatMap((top) =>
      sourceFiles(path.join(root, top)).flatMap((file) =>
        specifiers(fs.readFileSync(file, "utf8"))
          .filter((s) => reachesIntoApp(file, s))
          .map((s) => `${path.relative(root, file)} imports ${s}`),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
