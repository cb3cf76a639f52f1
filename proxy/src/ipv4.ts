// Just enough IPv4 arithmetic for the proxy: validating flags and addresses from the API.
export interface Cidr {
  base: number;
  bits: number;
  text: string;
}

export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function isIPv4(s: string | undefined): s is string {
  return s !== undefined && parseIPv4(s) !== undefined;
}

export function parseCidr(s: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  const ip = m ? parseIPv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || ip === undefined || bits > 32) throw new Error(`"${s}" is not an IPv4 CIDR such as 10.244.0.0/16`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (ip & mask) >>> 0;
  return { base, bits, text: `${formatIPv4(base)}/${bits}` };
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = parseIPv4(ip);
  if (n === undefined) return false;
  const mask = c.bits === 0 ? 0 : (0xffffffff << (32 - c.bits)) >>> 0;
  return (n & mask) >>> 0 === c.base;
}
