/**
 * The cache's bounded in-memory store: entries by key, then by credential
 * partition and by the request headers they vary on, evicted least recently
 * used first when there are more than `maxEntries` or more than `maxBytes`
 * (bodies, headers and keys counted). A hit costs two map lookups and an LRU
 * touch (a `Set` delete and add).
 *
 * @module
 */
import type { Freshness } from "./cache_policy.ts";

/**
 * One stored response.
 *
 * @example
 * ```ts
 * import type { CacheEntry } from "./cache_store.ts";
 * const describe = (e: CacheEntry) => `${e.key} ${e.status} (${e.size} bytes)`;
 * ```
 */
export interface CacheEntry {
  /** The cache key (by default the URL without its fragment). */
  readonly key: string;
  /** `""`, or the keyed hash of the request's credentials (never the credentials). */
  readonly partition: string;
  /** The request headers the response varies on, with the values they had (`null`: absent). */
  readonly vary: ReadonlyArray<readonly [string, string | null]>;
  readonly status: number;
  readonly statusText: string;
  /** The stored headers (updated by a `304`). */
  headers: Array<[string, string]>;
  /**
   * The stored response itself, with the stored headers: never handed out,
   * only cloned. Its body is a byte array, which a `clone()` shares on Deno
   * and Bun (a Blob or stream body would be teed by every clone on Deno).
   */
  readonly base: Response;
  /** The body's length in bytes. */
  readonly bodySize: number;
  /** Bytes counted against `maxBytes`. */
  readonly size: number;
  /** Freshness and validators (updated by a `304`). */
  freshness: Freshness;
  /** A background revalidation is in flight (one at a time per entry). */
  revalidating: boolean;
  /**
   * The last answer made from the entry (its `age` and `cache-status` stay
   * the same for a second): a hit in that second is a `clone()` of it, far
   * cheaper than a new Response with headers (on Deno ~2 µs against ~20 µs).
   */
  template?: {
    readonly age: number;
    readonly ttl: number | undefined;
    readonly status: string;
    readonly response: Response;
  };
}

/**
 * The bytes an entry is counted for.
 *
 * @example
 * ```ts
 * import { entrySize } from "./cache_store.ts";
 * entrySize("http://x.test/", [["etag", '"a"']], 10); // 31
 * ```
 */
export const entrySize = (key: string, headers: ReadonlyArray<[string, string]>, bodySize: number): number => {
  let size = key.length + bodySize;
  for (const [name, value] of headers) size += name.length + value.length;
  return size;
};

const varyMatches = (entry: CacheEntry, headers: Headers): boolean => {
  for (const [name, value] of entry.vary) {
    if ((headers.get(name)?.trim() ?? null) !== value) return false;
  }
  return true;
};

/**
 * An LRU store bounded by entry count and bytes.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./cache_store.ts";
 * const store = new MemoryStore(100, 1 << 20);
 * store.find("http://x.test/", "", new Headers()); // undefined
 * ```
 */
export class MemoryStore {
  private readonly byKey = new Map<string, CacheEntry[]>();
  /** Least recently used first. */
  private readonly order = new Set<CacheEntry>();
  private total = 0;
  /** The most recently used entry: touching it again changes nothing (the common case of a hot entry). */
  private newest: CacheEntry | undefined;

  constructor(private readonly maxEntries: number, private readonly maxBytes: number) {}

  /** How many entries are stored. */
  get entries(): number {
    return this.order.size;
  }

  /** How many bytes are stored. */
  get bytes(): number {
    return this.total;
  }

  /**
   * The entry for `key` in `partition` whose varied headers match the
   * request's; `"vary-miss"` when the key has entries but none matches.
   */
  find(key: string, partition: string, headers: Headers): CacheEntry | "vary-miss" | undefined {
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    for (const entry of list) {
      if (entry.partition === partition && (entry.vary.length === 0 || varyMatches(entry, headers))) return entry;
    }
    return "vary-miss";
  }

  /** Marks `entry` as just used. */
  touch(entry: CacheEntry): void {
    if (entry === this.newest || !this.order.delete(entry)) return;
    this.order.add(entry);
    this.newest = entry;
  }

  /** Stores `entry`, replacing the one with the same key, partition and varied values; evicts to fit. */
  put(entry: CacheEntry): void {
    if (entry.size > this.maxBytes) return;
    const list = this.byKey.get(entry.key) ?? [];
    const same = list.findIndex((e) =>
      e.partition === entry.partition && e.vary.length === entry.vary.length &&
      e.vary.every(([name, value], i) => entry.vary[i]![0] === name && entry.vary[i]![1] === value)
    );
    if (same >= 0) this.unlink(list[same]!, list, same);
    list.unshift(entry);
    this.byKey.set(entry.key, list);
    this.order.add(entry);
    this.newest = entry;
    this.total += entry.size;
    while (this.order.size > this.maxEntries || this.total > this.maxBytes) {
      const oldest = this.order.values().next().value!;
      this.remove(oldest);
    }
  }

  /** Removes `entry` if it is still stored. */
  remove(entry: CacheEntry): void {
    const list = this.byKey.get(entry.key);
    const i = list?.indexOf(entry) ?? -1;
    if (list !== undefined && i >= 0) this.unlink(entry, list, i);
  }

  /** Removes every entry of `key` (every partition and variant). */
  delete(key: string): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    for (const entry of list) {
      this.order.delete(entry);
      this.total -= entry.size;
      if (entry === this.newest) this.newest = undefined;
    }
    this.byKey.delete(key);
  }

  /** What is stored, for inspection: keys, partitions and varied values (never bodies). */
  describe(): ReadonlyArray<Pick<CacheEntry, "key" | "partition" | "vary" | "status" | "size">> {
    return [...this.order].map(({ key, partition, vary, status, size }) => ({ key, partition, vary, status, size }));
  }

  /** Removes everything. */
  clear(): void {
    this.byKey.clear();
    this.order.clear();
    this.newest = undefined;
    this.total = 0;
  }

  private unlink(entry: CacheEntry, list: CacheEntry[], i: number): void {
    list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(entry.key);
    this.order.delete(entry);
    this.total -= entry.size;
    if (entry === this.newest) this.newest = undefined;
  }
}
