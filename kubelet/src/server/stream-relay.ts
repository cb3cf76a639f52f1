// Relays an upgrade request (WebSocket or SPDY/3.1) to the runtime's streaming server: the
// request goes out with the same method and headers to the URL CRI returned, and from then on
// bytes flow both ways unchanged, so whatever kubectl and containerd agree on (SPDY streams,
// WebSocket channels, port-forward) passes through.
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const HOP_BY_HOP = new Set(['host', 'content-length', 'transfer-encoding', 'authorization']);

export function relayUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: string): void {
  const url = new URL(target);
  const upstream = net.connect({ host: url.hostname, port: Number(url.port || 80) });
  const lines = [`${req.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  upstream.on('connect', () => {
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', () => {
    if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nstreaming server unreachable\n');
    upstream.destroy();
  });
  upstream.on('close', close);
  client.on('error', close);
  client.on('close', close);
}

/** Writes a plain HTTP error on a socket that asked for an upgrade. */
export function rejectUpgrade(client: Duplex, code: number, message: string): void {
  const reason =
    (
      { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 501: 'Not Implemented' } as Record<
        number,
        string
      >
    )[code] ?? 'Error';
  const body = `${message}\n`;
  client.end(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
