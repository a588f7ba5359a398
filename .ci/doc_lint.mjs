// Reads `deno doc --lint` output on stdin and fails on anything but private-type-ref
// findings on effect's own types (JSR can't document those;
// every one of OUR exports must have JSDoc and explicit types).
import { stdin } from "node:process";
let text = "";
for await (const chunk of stdin) text += chunk;
// deno colours its output even through a pipe in some versions.
text = text.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");
const findings = text.split(/\n(?=error\[)/).filter((block) => block.startsWith("error["));
// deno doc does not print where the referenced type lives, so allow effect's type names only.
const EFFECT_TYPES =
  /^error\[private-type-ref\]: public type '[^']+' references private type '(Effect|Layer|Scope|Service|Error|Schedule|Tracer|Duration\.Input|Input|StandardSchemaV1(\.\w+)?|HttpClient(\.\w+)?|HttpRouter|Request)'/;
const bad = findings.filter((block) => !EFFECT_TYPES.test(block));
if (bad.length > 0) {
  console.error(bad.join("\n"));
  console.error(`doc lint: ${bad.length} finding(s) outside effect's own types`);
  process.exit(1);
}
console.log(`doc lint: clean (${findings.length} private-type-ref findings on effect's own types, allowed)`);
