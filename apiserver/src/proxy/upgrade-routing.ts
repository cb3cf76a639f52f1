// Node's HTTP server hands requests carrying `Upgrade:` to 'upgrade' listeners with the raw
// socket and no response object. To let them pass authentication and API routing like any
// request, this turns each upgrade back into a 'request' with a ServerResponse bound to the
// socket, remembering the socket's already-read bytes; the pod proxy then takes the socket over.
import http, { type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { auditSwitchingProtocols } from '../audit/auditor.ts';

const heads = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

export function routeUpgradesAsRequests(server: Server | import('node:https').Server): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    heads.set(req, { socket, head });
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as import('node:net').Socket);
    res.shouldKeepAlive = false;
    // Once the response (an error) is written, nobody else will close this socket.
    res.on('finish', () => {
      if (!upgradedSockets.has(socket)) socket.end();
    });
    server.emit('request', req, res);
  });
}

const upgradedSockets = new WeakSet<Duplex>();

/** The raw socket of an upgrade request (and bytes read past its headers), once. */
export function takeUpgradeSocket(req: IncomingMessage): { socket: Duplex; head: Buffer } | undefined {
  const s = heads.get(req);
  if (!s) return undefined;
  heads.delete(req);
  upgradedSockets.add(s.socket);
  auditSwitchingProtocols(req);
  return s;
}
