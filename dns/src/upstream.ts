// Forwards queries for names outside the cluster zone, byte for byte, to one resolver.
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';

export interface UpstreamAddress {
  host: string;
  port: number;
}

/** "1.2.3.4", "1.2.3.4:5353" or "" (none). */
export function parseUpstream(s: string): UpstreamAddress | undefined {
  if (!s) return undefined;
  const m = /^([\d.]+)(?::(\d+))?$/.exec(s.trim());
  if (!m || !net.isIPv4(m[1]!)) throw new Error(`--upstream "${s}" is not an IPv4 address with an optional :port`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
}

/** The first IPv4 nameserver of a resolv.conf, if any. */
export function resolvConfUpstream(path = '/etc/resolv.conf'): UpstreamAddress | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && net.isIPv4(m[1]!)) return { host: m[1]!, port: 53 };
  }
  return undefined;
}

export function forwardUdp(up: UpstreamAddress, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`upstream ${up.host}:${up.port} timed out`));
    }, timeoutMs);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.send(query, up.port, up.host);
  });
}

export function forwardTcp(up: UpstreamAddress, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(up.port, up.host);
    let buf = Buffer.alloc(0);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`upstream ${up.host}:${up.port} timed out`)));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`upstream ${up.host}:${up.port} closed the connection`)));
  });
}
