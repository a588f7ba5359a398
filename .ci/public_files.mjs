// Prints the files behind the package's public surface: the entry points and every module they
// re-export from. `npm test` runs their @examples (deno test --doc): what users read is what runs.
import { readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
// Not cli.ts: it is the command (importing it runs it and exits); its modules are tested by tests/cli_*.
const entries = ["mod.ts", "http_client.ts", "router.ts", "testing.ts"].filter((f) => {
  try {
    readFileSync(join(root, f));
    return true;
  } catch {
    return false;
  }
});
const files = new Set(entries);
for (const entry of entries) {
  const source = readFileSync(join(root, entry), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  for (const match of source.matchAll(/^export\s[^;]*?from\s+["'](\.\/[^"']+)["']/gm)) {
    files.add(relative(root, normalize(join(root, dirname(entry), match[1]))));
  }
}
console.log([...files].sort().join(" "));
