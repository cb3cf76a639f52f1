// A minimal DNS client for tests, over UDP or TCP, on 127.0.0.1.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, RecordType } from 'dns-packet';

let nextId = 1;

function query(name: string, type: RecordType): Buffer {
  nextId = (nextId + 1) & 0xffff;
  return dnsPacket.encode({ type: 'query', id: nextId, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

export function queryUdp(port: number, name: string, type: RecordType = 'A', host = '127.0.0.1', timeoutMs = 2000): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer for ${name} ${type}`));
    }, timeoutMs);
    sock.once('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(m));
    });
    sock.send(query(name, type), port, host);
  });
}

export function queryTcp(port: number, name: string, type: RecordType = 'A', host = '127.0.0.1'): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host, () =>
      sock.write(dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] })),
    );
    let buf = Buffer.alloc(0);
    sock.setTimeout(2000, () => sock.destroy(new Error(`no TCP answer for ${name} ${type}`)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    sock.on('error', reject);
  });
}

/** The record data; dns-packet's Answer union leaves it off some members. */
export function dataOf(a: Answer): any {
  return (a as { data?: unknown }).data;
}

/** dns-packet decodes the rcode by name, but its types do not declare it. */
export function rcodeOf(p: DecodedPacket): string {
  return (p as DecodedPacket & { rcode: string }).rcode;
}

export function aRecords(p: DecodedPacket): string[] {
  return (p.answers ?? [])
    .filter((a) => a.type === 'A')
    .map((a) => dataOf(a) as string)
    .sort();
}
