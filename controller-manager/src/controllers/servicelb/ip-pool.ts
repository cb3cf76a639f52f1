// The load-balancer address pool: IPv4 ranges ("10.253.0.200-10.253.0.239") or CIDRs
// ("10.253.0.192/27"), comma-separated, and which Service holds which address. Pure: the
// controller fills it from the Services' status at start, so a restart never hands out an
// address twice.

export interface IpRange {
  first: number;
  last: number;
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses a pool. A CIDR of /30 or wider leaves out its network and broadcast addresses, which
 * some clients refuse to talk to; a range is taken as written. Throws on anything malformed,
 * on a range that runs backwards and on overlapping entries.
 */
export function parsePool(text: string): IpRange[] {
  const ranges: IpRange[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(entry);
    const dash = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(entry);
    let range: IpRange | undefined;
    if (cidr) {
      const ip = parseIPv4(cidr[1]!);
      const bits = Number(cidr[2]);
      if (ip !== undefined && bits >= 0 && bits <= 32) {
        const size = 2 ** (32 - bits);
        const base = ip - (ip % size);
        range = bits <= 30 ? { first: base + 1, last: base + size - 2 } : { first: base, last: base + size - 1 };
      }
    } else if (dash) {
      const first = parseIPv4(dash[1]!);
      const last = parseIPv4(dash[2]!);
      if (first !== undefined && last !== undefined && first <= last) range = { first, last };
    }
    if (!range) throw new Error(`load-balancer pool entry "${entry}" is neither an IPv4 range (a.b.c.d-e.f.g.h) nor an IPv4 CIDR`);
    const clash = ranges.find((r) => range.first <= r.last && r.first <= range.last);
    if (clash) throw new Error(`load-balancer pool entry "${entry}" overlaps ${formatIPv4(clash.first)}-${formatIPv4(clash.last)}`);
    ranges.push(range);
  }
  return ranges;
}

export class IpPool {
  private readonly ranges: IpRange[];
  /** address (as a number) -> the key of the Service holding it */
  private readonly holderOf = new Map<number, string>();
  /** Service key -> its address */
  private readonly held = new Map<string, number>();

  constructor(pool: string) {
    this.ranges = parsePool(pool);
  }

  get size(): number {
    return this.ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
  }

  get inUse(): number {
    return this.held.size;
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.ranges.some((r) => n >= r.first && n <= r.last);
  }

  /** The address `key` holds, if any. */
  addressOf(key: string): string | undefined {
    const n = this.held.get(key);
    return n === undefined ? undefined : formatIPv4(n);
  }

  /**
   * Gives `ip` to `key` when it is in the pool and free (or already key's). A key holds one
   * address: taking a new one gives back the old. False when the address is not available.
   */
  claim(ip: string, key: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined || !this.contains(ip)) return false;
    const holder = this.holderOf.get(n);
    if (holder !== undefined) return holder === key;
    this.release(key);
    this.holderOf.set(n, key);
    this.held.set(key, n);
    return true;
  }

  /** The lowest free address for `key` (its own if it holds one); undefined when the pool is exhausted. */
  claimNext(key: string): string | undefined {
    const mine = this.addressOf(key);
    if (mine !== undefined) return mine;
    for (const r of this.ranges) {
      for (let n = r.first; n <= r.last; n++) {
        if (!this.holderOf.has(n)) {
          this.holderOf.set(n, key);
          this.held.set(key, n);
          return formatIPv4(n);
        }
      }
    }
    return undefined;
  }

  /** Frees key's address; returns it (undefined when it held none). */
  release(key: string): string | undefined {
    const n = this.held.get(key);
    if (n === undefined) return undefined;
    this.held.delete(key);
    this.holderOf.delete(n);
    return formatIPv4(n);
  }
}
