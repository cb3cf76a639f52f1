// Hands out fixed-size IPv4 subnets (one per node) from a cluster CIDR, lowest free first,
// and takes back released ones. Pure: the controller rebuilds it from the nodes at start.

export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Ipv4Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`invalid IPv4 CIDR "${text}"`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid IPv4 CIDR "${text}"`);
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (addr & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${[24, 16, 8, 0].map((s) => (c.base >>> s) & 255).join('.')}/${c.prefix}`;
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);

export class CidrAllocator {
  readonly cluster: Ipv4Cidr;
  readonly subnetPrefix: number;
  private readonly used = new Set<number>();
  private readonly capacity: number;

  constructor(clusterCidr: string, subnetPrefix: number) {
    this.cluster = parseCidr(clusterCidr);
    if (!Number.isInteger(subnetPrefix) || subnetPrefix < this.cluster.prefix || subnetPrefix > 32) {
      throw new Error(`node CIDR mask size ${subnetPrefix} must be between the cluster CIDR's ${this.cluster.prefix} and 32`);
    }
    this.subnetPrefix = subnetPrefix;
    this.capacity = 2 ** (subnetPrefix - this.cluster.prefix);
  }

  /** The lowest free subnet; throws when the cluster CIDR is full. */
  allocate(): string {
    for (let i = 0; i < this.capacity; i++) {
      if (!this.used.has(i)) {
        this.used.add(i);
        return formatCidr(this.subnetAt(i));
      }
    }
    throw new Error(`cluster CIDR ${formatCidr(this.cluster)} has no free /${this.subnetPrefix} left`);
  }

  /** Marks a subnet taken (a node that has one already); false if it is not one of ours. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  isUsed(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.used.has(i);
  }

  private subnetAt(i: number): Ipv4Cidr {
    return { base: (this.cluster.base + i * 2 ** (32 - this.subnetPrefix)) >>> 0, prefix: this.subnetPrefix };
  }

  private indexOf(cidr: string): number | undefined {
    let c: Ipv4Cidr;
    try {
      c = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (c.prefix !== this.subnetPrefix) return undefined;
    if ((c.base & maskOf(this.cluster.prefix)) >>> 0 !== this.cluster.base) return undefined;
    return (c.base - this.cluster.base) / 2 ** (32 - this.subnetPrefix);
  }
}
