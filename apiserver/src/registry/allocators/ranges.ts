// The address and port ranges the allocators hand out from: an IPv4 CIDR and a port span.

export interface IPv4Range {
  /** the CIDR as configured, for messages */
  cidr: string;
  /** network address as an unsigned 32-bit number */
  base: number;
  /** number of addresses in the block, network and broadcast included */
  size: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseIPv4Cidr(cidr: string): IPv4Range {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr.trim());
  const addr = m ? ipv4ToNumber(m[1]) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || addr === undefined || bits > 30 || bits < 8) {
    throw new Error(`service cluster IP range ${JSON.stringify(cidr)} is not an IPv4 CIDR with a prefix length between 8 and 30`);
  }
  const size = 2 ** (32 - bits);
  // drop host bits so that "10.96.0.1/12" means the 10.96.0.0/12 block
  const base = addr - (addr % size);
  return { cidr: `${numberToIPv4(base)}/${bits}`, base, size };
}

/** Offset of ip inside the block, or undefined when outside or the network/broadcast address. */
export function offsetInRange(range: IPv4Range, ip: string): number | undefined {
  const n = ipv4ToNumber(ip);
  if (n === undefined) return undefined;
  const off = n - range.base;
  return off >= 1 && off <= range.size - 2 ? off : undefined;
}

export interface PortRange {
  first: number;
  last: number;
  text: string;
}

export function parsePortRange(text: string): PortRange {
  const m = /^([0-9]+)-([0-9]+)$/.exec(text.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1 || last > 65535 || first > last) {
    throw new Error(`service node port range ${JSON.stringify(text)} is not of the form first-last within 1-65535`);
  }
  return { first, last, text: `${first}-${last}` };
}
