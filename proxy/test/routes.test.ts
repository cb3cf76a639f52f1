import { expect } from 'chai';
import type { V1Node } from '@kubernetes/client-node';
import { diffRoutes, wantedRoutes } from '../src/routes.ts';
import { staleUdpFlows } from '../src/conntrack.ts';
import { buildServicePorts } from '../src/model.ts';
import { service, slice } from './fixtures.ts';

function node(name: string, ip: string | undefined, podCIDR: string | undefined): V1Node {
  return {
    metadata: { name },
    spec: { podCIDR, podCIDRs: podCIDR ? [podCIDR] : undefined },
    status: {
      addresses: ip
        ? [
            { type: 'InternalIP', address: ip },
            { type: 'Hostname', address: name },
          ]
        : [],
    },
  };
}

describe('proxy: host-gw routes', () => {
  it("routes every other node's pod CIDR via its InternalIP", () => {
    const nodes = [
      node('a', '10.252.0.2', '10.252.128.0/24'),
      node('b', '10.252.0.3', '10.252.129.0/24'),
      node('c', undefined, '10.252.130.0/24'),
      node('d', '10.252.0.5', undefined),
    ];
    expect(wantedRoutes(nodes, 'a', '10.252.0.2')).to.deep.equal([{ cidr: '10.252.129.0/24', via: '10.252.0.3' }]);
  });

  it('changes only what differs and removes what is no longer wanted', () => {
    const cur = [
      { cidr: '10.252.129.0/24', via: '10.252.0.3' },
      { cidr: '10.252.130.0/24', via: '10.252.0.4' },
      { cidr: '10.252.131.0/24', via: '10.252.0.9' },
    ];
    const want = [
      { cidr: '10.252.129.0/24', via: '10.252.0.3' },
      { cidr: '10.252.131.0/24', via: '10.252.0.6' },
    ];
    expect(diffRoutes(cur, want)).to.deep.equal({
      replace: [{ cidr: '10.252.131.0/24', via: '10.252.0.6' }],
      remove: [{ cidr: '10.252.130.0/24', via: '10.252.0.4' }],
    });
  });
});

describe('proxy: UDP conntrack cleanup', () => {
  it('flushes flows to removed UDP endpoints and to UDP services that got their first endpoint', () => {
    const dns = (eps: string[]) =>
      buildServicePorts(
        [service('dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
        [
          slice(
            'dns',
            eps.map((ip) => ({ ip })),
            [{ name: 'dns', port: 53, protocol: 'UDP' }],
          ),
        ],
        'n1',
      );
    expect(staleUdpFlows(dns(['10.244.1.2', '10.244.1.3']), dns(['10.244.1.3']))).to.deep.equal({ staleEndpoints: ['10.244.1.2'], revivedServices: [] });
    expect(staleUdpFlows(dns([]), dns(['10.244.1.3']))).to.deep.equal({ staleEndpoints: [], revivedServices: [{ ip: '10.96.0.10', port: 53 }] });
  });
});
