// The proxy's own check of Services and EndpointSlices before they become iptables rules.
import { expect } from 'chai';
import type { V1Service } from '@kubernetes/client-node';
import { serviceProblem, sliceProblem } from '../src/edge.ts';
import { buildServicePorts } from '../src/model.ts';
import { computeRules } from '../src/rules.ts';
import { service, slice } from './fixtures.ts';

const affinity = (timeoutSeconds: unknown) =>
  service('sticky', {
    clusterIP: '10.96.0.30',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: timeoutSeconds as number } },
  });

describe('proxy: edge checks', () => {
  it('accepts sound Services and slices', () => {
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20' }))).to.equal(undefined);
    expect(serviceProblem(affinity(10800))).to.equal(undefined);
    expect(serviceProblem(service('headless', { clusterIP: 'None' }))).to.equal(undefined);
    expect(sliceProblem(slice('web', [{ ip: '10.244.1.2' }]))).to.equal(undefined);
  });

  it('refuses numbers that are not numbers in range, IPs that are not IPs, ports that are not ports', () => {
    expect(serviceProblem(affinity('10800 -j ACCEPT\n-A KUBE-SERVICES'))).to.match(/timeoutSeconds .* is not an integer in 1\.\.86400/);
    expect(serviceProblem(affinity(0))).to.match(/timeoutSeconds/);
    expect(serviceProblem(affinity(86401))).to.match(/timeoutSeconds/);
    expect(serviceProblem(affinity(1.5))).to.match(/timeoutSeconds/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20 -j DROP' }))).to.match(/not an IPv4 address/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', externalIPs: ['1.2.3.4/0'] }))).to.match(/externalIPs/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', ports: [{ port: 70000 }] }))).to.match(/ports\[0\]\.port 70000/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', ports: [{ port: '80' as unknown as number }] }))).to.match(/is not a port number/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: -1 }] }))).to.match(/nodePort/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'ICMP' }] }))).to.match(/protocol/);
    expect(serviceProblem(service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80, name: 'a" -j ACCEPT' }] }))).to.match(/name/);
    expect(serviceProblem(service('we"b', { clusterIP: '10.96.0.20' }))).to.match(/metadata\.name/);
    expect(sliceProblem(slice('web', [{ ip: '10.244.1.2' }], [{ name: 'http', port: 0, protocol: 'TCP' }]))).to.match(/ports\[0\]\.port 0/);
  });

  it('skips a bad Service with a report and still programs the others', () => {
    const skipped: string[] = [];
    const bad: V1Service = affinity('10800 -j ACCEPT');
    const ports = buildServicePorts(
      [service('web', { clusterIP: '10.96.0.20' }), bad],
      [slice('web', [{ ip: '10.244.1.2' }]), slice('sticky', [{ ip: '10.244.1.3' }])],
      'n1',
      (kind, key, why) => skipped.push(`${kind} ${key}: ${why}`),
    );
    expect(ports.map((p) => p.id)).to.deep.equal(['default/web:http']);
    expect(skipped).to.have.length(1);
    expect(skipped[0]).to.match(/^Service default\/sticky: spec\.sessionAffinityConfig\.clientIP\.timeoutSeconds/);
    const rules = computeRules(ports, { clusterCIDR: '10.244.0.0/16' });
    const text = rules.nat.rules.join('\n');
    expect(text).to.contain('10.96.0.20');
    expect(text).not.to.contain('-j ACCEPT');
    expect(text).not.to.contain('sticky');
  });

  it('skips a slice whose ports are out of range, keeping the Service without those endpoints', () => {
    const skipped: string[] = [];
    const ports = buildServicePorts(
      [service('web', { clusterIP: '10.96.0.20' })],
      [slice('web', [{ ip: '10.244.1.2' }], [{ name: 'http', port: 99999, protocol: 'TCP' }])],
      'n1',
      (kind, key) => skipped.push(`${kind} ${key}`),
    );
    expect(skipped).to.deep.equal(['EndpointSlice default/web-abc']);
    expect(ports[0]!.endpoints).to.deep.equal([]);
  });
});
