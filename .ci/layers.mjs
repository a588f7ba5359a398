// Fails when an import crosses the floors the wrong way (DESIGN.md, "Floors"), or when a
// runtime branch (`runtime.name`) appears outside the one engine choice and runtime.ts.
// The floors, bottom up: core/ (the contract), router/ (mount keys, compiled lookup, env
// proxies: routes values, builds no transport), transports/, plugins/ (know only the contract
// and the router, never a concrete transport), client/, cli/ (the command; may use the faces),
// and the faces at the root.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const allowed = {
  core: ["core"],
  router: ["core", "router"],
  transports: ["core", "router", "transports"],
  plugins: ["core", "router", "plugins"],
  client: ["core", "router", "transports", "plugins", "client"],
  // The command line: above the library, a user of its faces (mod.ts) like any program.
  cli: ["core", "router", "transports", "plugins", "client", "cli", "."],
  ".": ["core", "router", "transports", "plugins", "client", "cli", "."],
};
const RUNTIME_BRANCH_ALLOWED = new Set(["core/runtime.ts", "transports/http/mod.ts"]);

const floorOf = (file) => {
  const top = file.split("/")[0];
  return file.includes("/") ? top : ".";
};
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(join(root, rel)).isDirectory()) {
      if (dir === "" && !(name in allowed)) continue; // tests/, bench/, examples/, node_modules/ are not floors
      walk(rel);
    } else if (rel.endsWith(".ts")) files.push(rel);
  }
};
walk("");

const IMPORT =
  /^\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|^\s*import\s*\(\s*["'](\.{1,2}\/[^"']+)["']/gm;
const problems = [];
for (const file of files) {
  const floor = floorOf(file);
  // Strip JSDoc so examples (which import from the package) are not read as imports.
  const source = readFileSync(join(root, file), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  for (const match of source.matchAll(IMPORT)) {
    const target = normalize(join(dirname(file), match[1] ?? match[2]));
    const targetFloor = floorOf(relative(".", target));
    if (!allowed[floor].includes(targetFloor)) {
      problems.push(`${file} imports ${target}: ${floor}/ may import only ${allowed[floor].join(", ")}`);
    } else if (floor === "." && targetFloor === "cli" && file !== "cli.ts") {
      problems.push(`${file} imports ${target}: only cli.ts, the command's face, may import cli/`);
    }
  }
  if (/\bruntime\.name\b/.test(source) && !RUNTIME_BRANCH_ALLOWED.has(file)) {
    problems.push(`${file} branches on runtime.name: runtime differences belong behind the Engine interface`);
  }
}
if (problems.length > 0) {
  console.error(`layers: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `layers: ${files.length} files, every import points down the floors; runtime.name only in the engine choice`,
);
