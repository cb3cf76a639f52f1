// The pod's /etc/hosts, as the kubelet writes it into the pod's directory and bind-mounts into
// every container: localhost entries, the pod's own name (with its FQDN
// `<hostname>.<subdomain>.<namespace>.svc.<cluster-domain>` when it has a subdomain, so a
// StatefulSet pod knows its stable name), then spec.hostAliases. A pod on the host network gets
// the node's file plus its aliases.
import type { V1HostAlias, V1Pod } from '@kubernetes/client-node';

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const HOST_NETWORK_HEADER = '# Kubernetes-managed hosts file (host network).\n';
/** Where containers see the file. */
export const ETC_HOSTS_PATH = '/etc/hosts';

/** The pod's hostname and, with a subdomain, its domain (upstream GeneratePodHostNameAndDomain). */
export function podHostnameAndDomain(pod: V1Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata?.name || '';
  // a name longer than a DNS label is cut to one, without a trailing '-' or '.'
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const subdomain = pod.spec?.subdomain;
  const domain = subdomain ? `${subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

function aliasEntries(aliases: readonly V1HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) for (const name of a.hostnames ?? []) out += `${a.ip}\t${name}\n`;
  return out;
}

/** The file for a pod on the pod network, one entry for each of its IPs. */
export function managedHostsFile(podIPs: readonly string[], hostname: string, domain: string, aliases?: readonly V1HostAlias[]): string {
  let out = MANAGED_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliasEntries(aliases);
}

/** The file for a pod on the host network: the node's own, then the pod's aliases. */
export function hostNetworkHostsFile(nodeHosts: string, aliases?: readonly V1HostAlias[]): string {
  return HOST_NETWORK_HEADER + nodeHosts + aliasEntries(aliases);
}

/**
 * The content for `pod` once it has its IPs, or undefined when the kubelet mounts no file (no
 * IP yet, as upstream, which then leaves the runtime's file in place).
 */
export function etcHostsFor(pod: V1Pod, podIPs: readonly string[], clusterDomain: string, readNodeHosts: () => string): string | undefined {
  if (!podIPs.length) return undefined;
  if (pod.spec?.hostNetwork) return hostNetworkHostsFile(readNodeHosts(), pod.spec.hostAliases);
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  return managedHostsFile(podIPs, hostname, domain, pod.spec?.hostAliases);
}
