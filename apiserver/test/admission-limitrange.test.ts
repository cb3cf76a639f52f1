// LimitRanger through the real kubectl: `kubectl create -f limitrange.yaml`, defaults filled in
// for containers, bounds for containers, pods and claims refused with upstream's messages.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { KubectlResult } from '@skiff/common/testing/index';

const ns = 'limits-test';

const limitRange = `
apiVersion: v1
kind: LimitRange
metadata: { name: cpu-mem, namespace: ${ns} }
spec:
  limits:
  - type: Container
    max: { cpu: "1", memory: 1Gi }
    min: { cpu: 50m }
    default: { cpu: 500m, memory: 256Mi }
    defaultRequest: { cpu: 100m, memory: 128Mi }
    maxLimitRequestRatio: { cpu: "10" }
  - type: Pod
    max: { cpu: 1500m }
`;

const pod = (name: string, resources?: object, containers = 1) => {
  const c = (i: number) => ({ name: `c${i}`, image: 'nginx', ...(resources ? { resources } : {}) });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: Array.from({ length: containers }, (_, i) => c(i)) },
  });
};

describe('admission: LimitRanger and LimitRange through kubectl', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const k = (args: string[], stdin?: string): Promise<KubectlResult> => cluster.server.kubectl('1.32', args, { stdin });

  before(async () => {
    expect((await k(['create', 'namespace', ns])).code).to.equal(0);
  });

  it('kubectl create -f limitrange.yaml stores it, defaulted; get limits and describe show it', async () => {
    const r = await k(['create', '-f', '-'], limitRange);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('limitrange/cpu-mem created');
    const got = JSON.parse((await k(['get', 'limits', 'cpu-mem', '-n', ns, '-o', 'json'])).stdout);
    expect(got.spec.limits[0].default).to.deep.equal({ cpu: '500m', memory: '256Mi' });
    const list = await k(['get', 'limits', '-n', ns]);
    expect(list.stdout).to.match(/^NAME\s+CREATED AT\ncpu-mem\s+\d{4}-/);
    const d = await k(['describe', 'limitrange', 'cpu-mem', '-n', ns]);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout).to.match(/Container\s+cpu\s+50m\s+1\s+100m\s+500m\s+10/);
    const dns = await k(['describe', 'namespace', ns]);
    expect(dns.stdout).to.contain('Resource Limits');
    expect(dns.stdout).to.match(/Container\s+memory\s+-\s+1Gi\s+128Mi\s+256Mi\s+-/);
  });

  it('a bad LimitRange gets 422 with the field as Kubernetes words it', async () => {
    const bad = limitRange.replace('name: cpu-mem', 'name: bad').replace('min: { cpu: 50m }', 'min: { cpu: "2" }');
    const r = await k(['create', '-f', '-'], bad);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('The LimitRange "bad" is invalid');
    expect(r.stderr).to.contain('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1');
  });

  it('a container without resources gets the defaults and the limit-ranger annotation', async () => {
    const r = await k(['create', '-f', '-'], pod('plain'));
    expect(r.code, r.stderr).to.equal(0);
    const p = JSON.parse((await k(['get', 'pod', 'plain', '-n', ns, '-o', 'json'])).stdout);
    expect(p.spec.containers[0].resources).to.deep.equal({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(p.metadata.annotations['kubernetes.io/limit-ranger']).to.equal(
      'LimitRanger plugin set: cpu, memory request for container c0; cpu, memory limit for container c0',
    );
  });

  it('a container limit over max is refused with 403 and upstream message', async () => {
    const r = await k(['create', '-f', '-'], pod('big', { limits: { cpu: '2' }, requests: { cpu: '1' } }));
    expect(r.code).to.not.equal(0);
    expect(r.stderr, r.stderr).to.contain(
      'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Pod is 1500m, but limit is 2]',
    );
    expect((await k(['get', 'pod', 'big', '-n', ns])).code).to.not.equal(0);
  });

  it('below min and over the ratio are refused', async () => {
    const r1 = await k(['create', '-f', '-'], pod('tiny', { requests: { cpu: '10m' }, limits: { cpu: '10m' } }));
    expect(r1.stderr).to.contain('pods "tiny" is forbidden: minimum cpu usage per Container is 50m, but request is 10m');
    const r2 = await k(['create', '-f', '-'], pod('ratio', { requests: { cpu: '50m' }, limits: { cpu: '1' } }));
    expect(r2.stderr).to.contain('pods "ratio" is forbidden: cpu max limit to request ratio per Container is 10, but provided ratio is 20.000000');
  });

  it('several violations are listed together, in brackets', async () => {
    const r = await k(['create', '-f', '-'], pod('two', { requests: { cpu: '10m' }, limits: { cpu: '2' } }));
    expect(r.stderr).to.match(/pods "two" is forbidden: \[.*minimum cpu usage per Container is 50m, but request is 10m.*\]/);
    expect(r.stderr).to.contain('maximum cpu usage per Container is 1, but limit is 2');
  });

  it('the Pod type bounds the sum of the containers', async () => {
    const r = await k(['create', '-f', '-'], pod('sum', { requests: { cpu: '800m' }, limits: { cpu: '800m' } }, 2));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('pods "sum" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m');
  });

  it('a PersistentVolumeClaim item must bound storage', async () => {
    const bad = `
apiVersion: v1
kind: LimitRange
metadata: { name: pvc, namespace: ${ns} }
spec:
  limits:
  - type: PersistentVolumeClaim
    max: { cpu: "1" }
`;
    const r = await k(['create', '-f', '-'], bad);
    expect(r.stderr).to.contain('spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided');
    const good = bad.replace('max: { cpu: "1" }', 'max: { storage: 2Gi }\n    min: { storage: 1Gi }');
    expect((await k(['create', '-f', '-'], good)).code).to.equal(0);
  });
});
