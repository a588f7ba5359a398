/**
 * What kind of address an IP is, for the SSRF guard: the IANA IPv4 and IPv6
 * special-purpose registries, the cloud metadata endpoints, and the IPv6
 * forms that carry an IPv4 address inside them (IPv4-mapped `::ffff:0:0/96`,
 * IPv4-compatible `::/96`, IPv4-translated `::ffff:0:0:0/96`, NAT64
 * `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`), which are judged by
 * the IPv4 address they reach. An IPv6 address outside global unicast
 * (`2000::/3`) is reserved unless a row below names it, as daenney/ssrf does.
 *
 * Addresses are classified parsed (router/ip.ts words), never as text:
 * `[::ffff:127.0.0.1]` is `[::ffff:7f00:1]` after `URL`, and a string matcher
 * that looks for `::ffff:127.` misses it.
 *
 * @module
 */
import type { BlockedRule } from "../core/errors.ts";
import { cidrContains, cidrOf, type CidrRange, parseIpHost } from "../router/ip.ts";

interface Row {
  readonly range: CidrRange;
  readonly rule: BlockedRule;
}

const row = (host: string, bits: number, rule: BlockedRule): Row => ({ range: cidrOf(host, bits)!.range, rule });

/** The tables, built on first use: parsing ~40 ranges at import would cost every program that never guards. */
interface Tables {
  /** Most specific first: a metadata address is reported as such, not as link-local. */
  readonly ipv4: ReadonlyArray<Row>;
  readonly ipv6: ReadonlyArray<Row>;
  readonly globalUnicast: CidrRange;
  readonly embeddings: ReadonlyArray<Embedding>;
}

/** How an IPv6 form embeds an IPv4 address, and whether a public one inside it is still reachable. */
interface Embedding {
  readonly range: CidrRange;
  /** The IPv4 address inside `words`. */
  readonly ipv4: (words: Uint32Array) => number;
  /** `true` when the form itself is not routable (deprecated): a public IPv4 inside it is still reserved. */
  readonly deprecated: boolean;
}

const last32 = (words: Uint32Array): number => words[3]!;

let built: Tables | undefined;
const tables = (): Tables =>
  built ??= {
    ipv4: [
      row("169.254.169.254", 32, "metadata"), // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
      row("169.254.170.2", 32, "metadata"), // AWS ECS task metadata
      row("169.254.170.23", 32, "metadata"), // AWS EKS Pod Identity
      row("100.100.100.200", 32, "metadata"), // Alibaba Cloud
      row("192.0.0.192", 32, "metadata"), // Oracle Cloud (legacy)
      row("0.0.0.0", 8, "unspecified"), // "this network": 0.0.0.0 reaches the local host on Linux
      row("10.0.0.0", 8, "private"),
      row("100.64.0.0", 10, "cgnat"),
      row("127.0.0.0", 8, "loopback"),
      row("169.254.0.0", 16, "link-local"),
      row("172.16.0.0", 12, "private"),
      row("192.0.0.0", 24, "reserved"), // IETF protocol assignments
      row("192.0.2.0", 24, "documentation"),
      row("192.88.99.0", 24, "reserved"), // deprecated 6to4 relay anycast
      row("192.168.0.0", 16, "private"),
      row("198.18.0.0", 15, "benchmarking"),
      row("198.51.100.0", 24, "documentation"),
      row("203.0.113.0", 24, "documentation"),
      row("224.0.0.0", 4, "multicast"),
      row("240.0.0.0", 4, "reserved"), // future use, and 255.255.255.255 broadcast
    ],
    ipv6: [
      row("[::]", 128, "unspecified"),
      row("[::1]", 128, "loopback"),
      row("[fd00:ec2::254]", 128, "metadata"), // AWS IMDS over IPv6
      row("[fd00:ec2::23]", 128, "metadata"), // AWS EKS Pod Identity over IPv6
      row("[100::]", 64, "reserved"), // discard-only
      row("[2001:2::]", 48, "benchmarking"),
      row("[2001::]", 23, "reserved"), // IETF protocol assignments, Teredo (2001::/32) included
      row("[2001:db8::]", 32, "documentation"),
      row("[3fff::]", 20, "documentation"),
      row("[5f00::]", 16, "reserved"), // SRv6 SIDs
      row("[fc00::]", 7, "private"), // unique local
      row("[fe80::]", 10, "link-local"),
      row("[fec0::]", 10, "reserved"), // deprecated site-local
      row("[ff00::]", 8, "multicast"),
    ],
    globalUnicast: cidrOf("[2000::]", 3)!.range,
    embeddings: [
      { range: cidrOf("[::ffff:0:0]", 96)!.range, ipv4: last32, deprecated: false }, // IPv4-mapped
      { range: cidrOf("[::ffff:0:0:0]", 96)!.range, ipv4: last32, deprecated: true }, // IPv4-translated (SIIT)
      { range: cidrOf("[64:ff9b::]", 96)!.range, ipv4: last32, deprecated: false }, // NAT64, well-known prefix
      { range: cidrOf("[64:ff9b:1::]", 48)!.range, ipv4: last32, deprecated: false }, // NAT64, local use
      // 6to4: 2002:AABB:CCDD::/48 reaches AA.BB.CC.DD.
      {
        range: cidrOf("[2002::]", 16)!.range,
        ipv4: (w) => (((w[0]! & 0xffff) << 16) | (w[1]! >>> 16)) >>> 0,
        deprecated: false,
      },
      { range: cidrOf("[::]", 96)!.range, ipv4: last32, deprecated: true }, // IPv4-compatible (after :: and ::1)
    ],
  };

const scratch = new Uint32Array(4);

/** The rule for an IPv4 address given as a 32-bit number, or `undefined` when it is public. */
const classifyV4 = (value: number): BlockedRule | undefined => {
  scratch[0] = value;
  scratch[1] = scratch[2] = scratch[3] = 0;
  for (const r of tables().ipv4) if (cidrContains(r.range, 4, scratch)) return r.rule;
  return undefined;
};

/**
 * The IPv4 address (as a 32-bit number) an IPv6 address reaches through one
 * of the embedding forms, or `undefined` for a plain IPv6 address.
 *
 * @example
 * ```ts
 * import { embeddedIpv4 } from "./guard_ranges.ts";
 * import { parseIpHost } from "../router/ip.ts";
 * const words = new Uint32Array(4);
 * parseIpHost("[::ffff:7f00:1]", words);
 * embeddedIpv4(words); // 0x7f000001 (127.0.0.1)
 * ```
 */
export const embeddedIpv4 = (words: Uint32Array): number | undefined => {
  // `::` and `::1` are in ::/96 but are IPv6's own unspecified and loopback addresses.
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3]! <= 1) return undefined;
  for (const e of tables().embeddings) if (cidrContains(e.range, 6, words)) return e.ipv4(words);
  return undefined;
};

/**
 * The rule an address breaks, or `undefined` when it is a public unicast
 * address. `words` are router/ip.ts words (`parseIpHost`).
 *
 * @example
 * ```ts
 * import { classifyAddress } from "./guard_ranges.ts";
 * import { parseIpHost } from "../router/ip.ts";
 * const words = new Uint32Array(4);
 * classifyAddress(parseIpHost("169.254.169.254", words) as 4, words); // "metadata"
 * classifyAddress(parseIpHost("[2002:a00:1::]", words) as 6, words); // "private" (6to4 of 10.0.0.1)
 * classifyAddress(parseIpHost("93.184.216.34", words) as 4, words); // undefined
 * ```
 */
export const classifyAddress = (family: 4 | 6, words: Uint32Array): BlockedRule | undefined => {
  if (family === 4) return classifyV4(words[0]!);
  for (const r of tables().ipv6) if (cidrContains(r.range, 6, words)) return r.rule;
  for (const e of tables().embeddings) {
    if (!cidrContains(e.range, 6, words)) continue;
    return classifyV4(e.ipv4(words)) ?? (e.deprecated ? "reserved" : undefined);
  }
  return cidrContains(tables().globalUnicast, 6, words) ? undefined : "reserved";
};

/**
 * An address as a resolver or `URL` writes it (`127.0.0.1`, `::1`, `[::1]`,
 * `::ffff:1.2.3.4`), as `URL` writes a host (`[::ffff:102:304]`), or
 * `undefined` when it is not an IP address.
 *
 * @example
 * ```ts
 * import { addressHost } from "./guard_ranges.ts";
 * addressHost("::ffff:127.0.0.1"); // "[::ffff:7f00:1]"
 * addressHost("example.com"); // undefined
 * ```
 */
export const addressHost = (address: string): string | undefined => {
  const text = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  return parseIpHost(host, scratch) === 0 ? undefined : host;
};
