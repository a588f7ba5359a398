import { UrlPattern } from "../router/pattern.ts";
for (
  const k of [
    "",
    "all://",
    "http",
    "http:",
    "https://example.com:443",
    "all://example.com:80",
    "all://*.Example.COM",
    "all://*example.com",
    "all://bücher.example",
    "all://*:1234",
    "https://api.example.com/v2/",
    "all://10.1.2.3/8",
    "all://[fe80::1]/10",
    "all://[::1]",
    "all://10.0.0.0/33",
    "http://u:p@x.com",
    "http://x.com?a",
    "all://a*b.com",
    "all://*.0.1",
    "all://::1",
    "http://x.com:99999",
    "http://*",
  ]
) {
  const v = UrlPattern.validate(k);
  if (v) {
    console.log(JSON.stringify(k), "ERR", v.message);
    continue;
  }
  const p = UrlPattern.parse(k);
  console.log(
    JSON.stringify(k),
    p.scheme,
    p.host,
    p.hostMatch,
    p.domain,
    p.port,
    p.path,
    JSON.stringify(p.cidr),
    p.priority.join(","),
  );
}
const m = (k: string, u: string) => console.log(k, u, UrlPattern.matches(UrlPattern.parse(k), new URL(u)));
m("all://10.0.0.0/8", "http://10.200.3.4/");
m("all://10.0.0.0/8", "http://11.0.0.1/");
m("all://[fe80::]/10", "http://[fe80::abcd]/");
m("all://[fe80::]/10", "http://[fec0::1]/");
m("https://api.example.com/v2", "https://api.example.com/v20");
m("https://api.example.com/v2", "https://api.example.com/v2/x");
m("all://bücher.example", "http://xn--bcher-kva.example/");
m("all://*.0.1", "http://127.0.0.1/");
