// Reads `deno doc --json <entry points>` on stdin and fails when an exported symbol's
// JSDoc has no @example (the project's rule: every export shows how it is used).
import { stdin } from "node:process";
let text = "";
for await (const chunk of stdin) text += chunk;
const { nodes } = JSON.parse(text);
const missing = [];
for (const [file, mod] of Object.entries(nodes)) {
  for (const symbol of mod.symbols ?? []) {
    const documented = (symbol.declarations ?? []).some((d) => (d.jsDoc?.tags ?? []).some((t) => t.kind === "example"));
    if (!documented) {
      const at = symbol.declarations?.[0]?.location;
      missing.push(
        `${symbol.name} (${at?.filename?.replace(/^.*?\/(?=core|transports|router|plugins)/, "") ?? file}:${at?.line})`,
      );
    }
  }
}
if (missing.length > 0) {
  console.error(`exports without an @example (${missing.length}):\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log("doc examples: every export has an @example");
