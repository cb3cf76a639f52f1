// Several apiservers, one client: every component reaches the control plane through a list
// of apiserver endpoints and moves to the next when one cannot be reached.
//
// Why a list in the client, not the `kubernetes` Service: its ClusterIP exists only once the
// proxy has written iptables rules for it, and the proxy, the kubelet that registers the node
// and the control-plane components all need an apiserver before that (and on control-plane
// nodes with no proxy at all). Upstream puts a load balancer or a VIP in front; a lab of
// network namespaces has neither, so the fail-over lives in the one client every Skiff
// component builds (loadKubeConfig), at the level of the TLS connection: each new connection
// goes to the endpoint that answered last, else to the next that completes a TLS handshake,
// whose certificate is checked against the address actually dialled. Requests in flight on a
// connection to an apiserver that dies fail once, as they would behind a load balancer;
// callers retry (controllers requeue, informers re-list and watch again).
import { Agent, type AgentOptions } from 'node:https';
import type { ClientRequestArgs } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** The variable listing the apiservers, comma-separated https://host:port (or host:port). */
export const APISERVER_ENDPOINTS_ENV = 'SKIFF_APISERVER_ENDPOINTS';
/** How long a TCP connect plus TLS handshake may take before the next endpoint is tried. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

export interface ApiserverEndpoint {
  host: string;
  port: number;
}

/** `https://10.0.0.11:6443,10.0.0.12:6443` → endpoints; an entry without a port gets 443. */
export function parseApiserverEndpoints(text: string | undefined): ApiserverEndpoint[] {
  const out: ApiserverEndpoint[] = [];
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    let url: URL;
    try {
      url = new URL(entry.includes('://') ? entry : `https://${entry}`);
    } catch {
      throw new Error(`${APISERVER_ENDPOINTS_ENV}: "${entry}" is not an address`);
    }
    if (url.protocol !== 'https:') throw new Error(`${APISERVER_ENDPOINTS_ENV}: "${entry}" is not https`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const ep = { host, port: url.port ? Number(url.port) : 443 };
    if (!out.some((o) => o.host === ep.host && o.port === ep.port)) out.push(ep);
  }
  return out;
}

/** Which endpoint new connections try first: the last one that answered (shared by a client's agents). */
export class ApiserverEndpoints {
  readonly list: ApiserverEndpoint[];
  private preferred = 0;

  constructor(list: ApiserverEndpoint[]) {
    if (list.length === 0) throw new Error('no apiserver endpoints');
    this.list = list;
  }

  /** Every endpoint once, the preferred one first. */
  order(): ApiserverEndpoint[] {
    return this.list.map((_, i) => this.list[(this.preferred + i) % this.list.length]);
  }

  answered(ep: ApiserverEndpoint): void {
    const i = this.list.indexOf(ep);
    if (i >= 0) this.preferred = i;
  }

  get current(): ApiserverEndpoint {
    return this.list[this.preferred];
  }
}

/**
 * Connects to the first endpoint (in `endpoints.order()`) that completes a TLS handshake.
 * The TLS options (CA, client certificate) are the request's; only the address changes.
 */
export function connectFirst(
  options: ConnectionOptions,
  endpoints: ApiserverEndpoints,
  done: (err: Error | null, socket?: TLSSocket) => void,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): void {
  const order = endpoints.order();
  const errors: string[] = [];
  const attempt = (i: number) => {
    if (i >= order.length) {
      done(new Error(`no apiserver answered: ${errors.join('; ')}`));
      return;
    }
    const ep = order[i];
    const { servername: _servername, ...rest } = options;
    const socket = connect({
      ...rest,
      host: ep.host,
      port: ep.port,
      // SNI takes names only; the certificate is checked against the address dialled
      ...(isIP(ep.host) ? {} : { servername: ep.host }),
      checkServerIdentity: (_host, cert) => checkServerIdentity(ep.host, cert),
    });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('secureConnect', ok);
      socket.destroy();
      errors.push(`${ep.host}:${ep.port}: ${err.message}`);
      attempt(i + 1);
    };
    const ok = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', fail);
      endpoints.answered(ep);
      done(null, socket);
    };
    const timer = setTimeout(() => fail(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', ok);
    socket.once('error', fail);
  };
  attempt(0);
}

/** An https.Agent whose new connections go to the endpoints in turn (keep-alive as the caller sets it). */
export function failoverAgent(agentOptions: AgentOptions, endpoints: ApiserverEndpoints, timeoutMs?: number): Agent {
  const agent = new Agent(agentOptions);
  agent.createConnection = (options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) => {
    connectFirst(options as ConnectionOptions, endpoints, (err, socket) => callback?.(err, socket as Duplex), timeoutMs);
    return undefined;
  };
  return agent;
}
