// The byte relay behind every proxied upgrade (exec, attach, port-forward, WebSockets): the
// backend's 101 and its headers go to the client as they came, then raw bytes flow both ways
// until either side closes. A refused upgrade (an unsupported WebSocket subprotocol, a 403)
// passes through as a plain response, which is what makes kubectl fall back from WebSocket
// to SPDY and shows a user the backend's own message.
import type { ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Wires `upstream`, a request already carrying the client's Upgrade headers, to `client`,
 * the socket of the request being proxied; `head` is what the client sent past its headers.
 * Errors of the upstream request itself are the caller's to answer.
 */
export function relayUpgrade(upstream: ClientRequest, client: Duplex, head: Buffer): void {
  upstream.on('upgrade', (res, backend, backendHead) => {
    const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? 'Switching Protocols'}`];
    for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
    client.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (backendHead.length) client.write(backendHead);
    if (head.length) backend.write(head);
    backend.pipe(client);
    client.pipe(backend);
    const close = () => {
      backend.destroy();
      client.destroy();
    };
    backend.on('error', close);
    client.on('error', close);
    backend.on('close', () => client.end());
    client.on('close', () => backend.destroy());
  });
  upstream.on('response', (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = res.headers['content-type'] ?? 'text/plain';
      client.end(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
          ),
          body,
        ]),
      );
    });
  });
}
