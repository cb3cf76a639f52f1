// What a node's certificate request must look like, for each of the two kubelet signers
// (the rules of Kubernetes' certificates/csr ValidateKubeletClientCSR / kubelet-serving).
import { KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, NODES_GROUP, NODE_USER_PREFIX, type ParsedCsr } from '@skiff/common/bootstrap/csr';

const clientUsages = { required: ['client auth'], allowed: ['digital signature', 'key encipherment', 'client auth'] };
const servingUsages = { required: ['server auth'], allowed: ['digital signature', 'key encipherment', 'server auth'] };

function subjectProblems(csr: ParsedCsr): string[] {
  const out: string[] = [];
  if (csr.organizations.length !== 1 || csr.organizations[0] !== NODES_GROUP)
    out.push(`subject organization must be exactly ${NODES_GROUP}, got [${csr.organizations.join(', ')}]`);
  if (csr.commonNames.length !== 1 || !csr.commonNames[0]!.startsWith(NODE_USER_PREFIX) || csr.commonNames[0] === NODE_USER_PREFIX) {
    out.push(`subject common name must be ${NODE_USER_PREFIX}<node name>, got [${csr.commonNames.join(', ')}]`);
  }
  if (csr.otherSubjectAttributes.length) out.push(`subject may carry only CN and O, got ${csr.otherSubjectAttributes.join(', ')}`);
  return out;
}

function usageProblems(usages: string[], rule: { required: string[]; allowed: string[] }): string[] {
  const out: string[] = [];
  for (const r of rule.required) if (!usages.includes(r)) out.push(`usages must include "${r}"`);
  for (const u of usages) if (!rule.allowed.includes(u)) out.push(`usage "${u}" is not allowed (allowed: ${rule.allowed.join(', ')})`);
  return out;
}

/** Why this is not a kubelet client request (empty when it is one). */
export function kubeletClientProblems(csr: ParsedCsr, usages: string[]): string[] {
  const out = [...subjectProblems(csr), ...usageProblems(usages, clientUsages)];
  if (csr.dnsNames.length || csr.ipAddresses.length || csr.emailAddresses.length || csr.uris.length)
    out.push('a client certificate request may not carry subject alternative names');
  return out;
}

/** Why this is not a kubelet serving request: node subject, server usages, DNS/IP SANs only. */
export function kubeletServingProblems(csr: ParsedCsr, usages: string[]): string[] {
  const out = [...subjectProblems(csr), ...usageProblems(usages, servingUsages)];
  if (!csr.dnsNames.length && !csr.ipAddresses.length) out.push('a serving certificate request needs at least one DNS name or IP address');
  if (csr.emailAddresses.length || csr.uris.length) out.push('a serving certificate request may carry only DNS names and IP addresses');
  return out;
}

/** The checks of the signer named in the request, or undefined when we do not sign for it. */
export function problemsForSigner(signerName: string, csr: ParsedCsr, usages: string[]): string[] | undefined {
  if (signerName === KUBELET_CLIENT_SIGNER) return kubeletClientProblems(csr, usages);
  if (signerName === KUBELET_SERVING_SIGNER) return kubeletServingProblems(csr, usages);
  return undefined;
}

export function nodeNameOf(csr: ParsedCsr): string | undefined {
  const cn = csr.commonNames[0];
  return cn?.startsWith(NODE_USER_PREFIX) ? cn.slice(NODE_USER_PREFIX.length) : undefined;
}

/** What the approver reads of a Node: the addresses its kubelet reports. */
export interface NodeAddressesView {
  metadata?: { name?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

const DNS_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'ExternalDNS'];
const IP_ADDRESS_TYPES = ['InternalIP', 'ExternalIP'];

/** One spelling per address, so that ::1 and 0:0:0:0:0:0:0:1 compare equal. */
function canonicalIP(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname;
  } catch {
    return ip;
  }
}

/**
 * Why a kubelet-serving request names something that is not its node's own (empty when every
 * SAN is): DNS names must be the node's name or a hostname/DNS address the Node reports, IPs
 * must be among its InternalIP/ExternalIP addresses. Otherwise a node's credential could get a
 * certificate the apiserver would trust for another node's or a Service's address.
 */
export function kubeletServingSanProblems(csr: ParsedCsr, node: NodeAddressesView): string[] {
  const name = node.metadata?.name ?? '';
  const addresses = node.status?.addresses ?? [];
  const dnsOk = new Set([name, ...addresses.filter((a) => DNS_ADDRESS_TYPES.includes(a.type)).map((a) => a.address)].map((d) => d.toLowerCase()));
  const ipOk = new Set(addresses.filter((a) => IP_ADDRESS_TYPES.includes(a.type)).map((a) => canonicalIP(a.address)));
  const out: string[] = [];
  const badDns = csr.dnsNames.filter((d) => !dnsOk.has(d.toLowerCase()));
  const badIps = csr.ipAddresses.filter((ip) => !ipOk.has(canonicalIP(ip)));
  if (badDns.length) out.push(`DNS names [${badDns.join(', ')}] are not node ${name}'s (allowed: ${[...dnsOk].join(', ')})`);
  if (badIps.length) out.push(`IP addresses [${badIps.join(', ')}] are not among node ${name}'s addresses [${[...ipOk].join(', ')}]`);
  return out;
}
