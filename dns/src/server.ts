// DNS over UDP and TCP (RFC 1035 two-byte length framing) on one address and port.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '@skiff/common';
import type { Resolver } from './resolver.ts';

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

export async function startDnsServer(resolver: Resolver, address: string, port: number, log: Logger): Promise<DnsServer> {
  const udp = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    resolver
      .handle(msg, 'udp')
      .then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      })
      .catch((e: Error) => log.warn('udp query failed', { err: e.message }));
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, address, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const boundPort = udp.address().port;
  udp.on('error', (e) => log.error('udp socket error', { err: e.message }));

  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        resolver
          .handle(Buffer.from(msg), 'tcp')
          .then((out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            sock.write(Buffer.concat([len, out]));
          })
          .catch((e: Error) => log.warn('tcp query failed', { err: e.message }));
      }
    });
  });
  // TCP on the same port as UDP (a free one was picked by UDP when port was 0)
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(boundPort, address, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  log.info('serving DNS', { address, port: boundPort });
  return {
    port: boundPort,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
