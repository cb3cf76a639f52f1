// Who may use the node API once clients must show a certificate from the cluster CA. The real
// kubelet asks the apiserver (SubjectAccessReview) about each request; ours applies the
// outcome of the default policy directly, so that one node's credentials cannot exec into
// another node's pods:
//   /healthz                                    any client with a certificate from the CA
//   everything else                             system:masters (the apiserver's
//                                               kube-apiserver-kubelet-client, admins) and
//                                               this node itself (system:node:NAME)
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';

export interface NodeApiUser {
  name: string;
  groups: string[];
}

/** The user a verified client certificate names: CN, and O as groups (as the apiserver reads it). */
export function certificateUser(req: IncomingMessage): NodeApiUser | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject?.CN) return undefined;
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { name: list(subject.CN)[0]!, groups: list(subject.O) };
}

/** Kubernetes' wording for a refused kubelet request: resource nodes, subresource by path. */
function forbidden(user: NodeApiUser, verb: string, subresource: string): string {
  return `Forbidden (user=${user.name}, verb=${verb}, resource=nodes, subresource=${subresource})`;
}

// as the kubelet's own attribute mapping: /metrics and /stats by name, the rest is proxy
const subresourceOf = (first: string) => (first === 'metrics' || first === 'stats' ? first : 'proxy');

/** undefined when allowed, else the 403 message. */
export function nodeApiDecision(user: NodeApiUser, nodeName: string, method: string, first: string): string | undefined {
  if (first === 'healthz') return undefined;
  if (user.groups.includes('system:masters') || user.name === `system:node:${nodeName}`) return undefined;
  const verb = method === 'GET' || method === 'HEAD' ? 'get' : 'create';
  return forbidden(user, verb, subresourceOf(first));
}
