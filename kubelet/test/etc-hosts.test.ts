// The pod's managed /etc/hosts (pods/etc-hosts.ts) and its mount in every container
// (runtime/cri-configs.ts), byte for byte as the kubelet writes it.
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { etcHostsFor, podHostnameAndDomain } from '../src/pods/etc-hosts.ts';
import { containerConfig } from '../src/runtime/cri-configs.ts';

const LOCAL =
  '# Kubernetes-managed hosts file.\n' +
  '127.0.0.1\tlocalhost\n' +
  '::1\tlocalhost ip6-localhost ip6-loopback\n' +
  'fe00::0\tip6-localnet\n' +
  'fe00::0\tip6-mcastprefix\n' +
  'fe00::1\tip6-allnodes\n' +
  'fe00::2\tip6-allrouters\n';

const pod = (spec: Partial<NonNullable<V1Pod['spec']>> = {}, name = 'web-0'): V1Pod => ({
  metadata: { name, namespace: 'shop', uid: 'u1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const noNodeFile = () => {
  throw new Error('not on the host network');
};

describe('kubelet: the managed /etc/hosts', () => {
  it('a pod with hostname and subdomain gets its FQDN line (a StatefulSet pod sees its stable name)', () => {
    const text = etcHostsFor(pod({ hostname: 'web-0', subdomain: 'nginx' }), ['10.244.1.7'], 'cluster.local', noNodeFile);
    expect(text).to.equal(`${LOCAL}10.244.1.7\tweb-0.nginx.shop.svc.cluster.local\tweb-0\n`);
  });

  it('without a subdomain: the pod name alone; the cluster domain is the kubelet flag', () => {
    expect(etcHostsFor(pod(), ['10.244.1.8'], 'cluster.local', noNodeFile)).to.equal(`${LOCAL}10.244.1.8\tweb-0\n`);
    expect(podHostnameAndDomain(pod({ subdomain: 'db' }), 'corp.example')).to.deep.equal({ hostname: 'web-0', domain: 'db.shop.svc.corp.example' });
  });

  it('host aliases follow under their own heading; a name over 63 characters is cut without a trailing dash', () => {
    const long = `${'a'.repeat(62)}-b`;
    const text = etcHostsFor(pod({ hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo.local', 'bar.local'] }] }, long), ['10.0.0.1'], 'cluster.local', noNodeFile);
    expect(text).to.equal(`${LOCAL}10.0.0.1\t${'a'.repeat(62)}\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo.local\n1.2.3.4\tbar.local\n`);
  });

  it('on the host network: the node file under its own header, plus aliases; no IP yet: no file', () => {
    const text = etcHostsFor(
      pod({ hostNetwork: true, hostAliases: [{ ip: '5.6.7.8', hostnames: ['x'] }] }),
      ['192.168.1.2'],
      'cluster.local',
      () => '127.0.0.1 localhost\n',
    );
    expect(text).to.equal('# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n5.6.7.8\tx\n');
    expect(etcHostsFor(pod(), [], 'cluster.local', noNodeFile)).to.equal(undefined);
  });

  it('is mounted at /etc/hosts in each container, unless the container mounts its own there', () => {
    const input = (p: V1Pod) => ({
      pod: p,
      container: p.spec!.containers[0]!,
      init: false,
      restartCount: 0,
      image: 'busybox',
      env: {},
      volumes: new Map([['own', { name: 'own', hostPath: '/var/own-hosts', readOnly: false }]]),
      terminationMessageHostPath: '/tmp/t',
      etcHostsHostPath: '/var/lib/kubelet/pods/u1/etc-hosts',
    });
    const mounts = containerConfig(input(pod())).mounts ?? [];
    expect(mounts).to.deep.include({ containerPath: '/etc/hosts', hostPath: '/var/lib/kubelet/pods/u1/etc-hosts', readonly: false });
    const own = pod({ containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'own', mountPath: '/etc/hosts' }] }] });
    const ownMounts = (containerConfig(input(own)).mounts ?? []).filter((m) => m.containerPath === '/etc/hosts');
    expect(ownMounts).to.deep.equal([{ containerPath: '/etc/hosts', hostPath: '/var/own-hosts', readonly: false }]);
  });
});
