import { expect } from 'chai';
import { computeSubsets, endpointsLabels } from '../src/controllers/endpoints/compute.ts';
import { planSlices, MAX_ENDPOINTS_PER_SLICE } from '../src/controllers/endpointslice/plan.ts';
import type { Obj } from '../src/controllers/endpoints/pod-endpoints.ts';

const service = (spec: Record<string, unknown> = {}): Obj => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { team: 'a' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

let n = 0;
function pod(
  opts: {
    ip?: string;
    ready?: boolean;
    labels?: Record<string, string>;
    containerPort?: number;
    portName?: string;
    deleting?: boolean;
    node?: string;
    ns?: string;
    hostname?: string;
    subdomain?: string;
    phase?: string;
    restartPolicy?: string;
  } = {},
): Obj {
  n += 1;
  return {
    metadata: {
      name: `p${n}`,
      namespace: opts.ns ?? 'ns',
      uid: `uid-${n}`,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: opts.node,
      hostname: opts.hostname,
      subdomain: opts.subdomain,
      restartPolicy: opts.restartPolicy ?? 'Always',
      containers: [{ name: 'c', ports: [{ name: opts.portName ?? 'http', containerPort: opts.containerPort ?? 8080, protocol: 'TCP' }] }],
    },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ip === '' ? {} : { podIP: opts.ip ?? `10.244.0.${n}` }),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('endpoints computation', () => {
  it('splits ready and not-ready pods and resolves named target ports per pod', () => {
    const a = pod({ ip: '10.0.0.2', node: 'n1' });
    const b = pod({ ip: '10.0.0.1', ready: false });
    const c = pod({ ip: '10.0.0.3', containerPort: 9090 });
    const { subsets } = computeSubsets(service(), [a, b, c]);
    expect(subsets).to.have.length(2);
    const s8080 = subsets.find((s) => s.ports?.[0]?.port === 8080)!;
    expect(s8080.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s8080.addresses!.map((x) => x.ip)).to.deep.equal(['10.0.0.2']);
    expect(s8080.addresses![0]).to.deep.include({ nodeName: 'n1', targetRef: { kind: 'Pod', name: a.metadata.name, namespace: 'ns', uid: a.metadata.uid } });
    expect(s8080.notReadyAddresses!.map((x) => x.ip)).to.deep.equal(['10.0.0.1']);
    expect(subsets.find((s) => s.ports?.[0]?.port === 9090)!.addresses!.map((x) => x.ip)).to.deep.equal(['10.0.0.3']);
  });

  it('skips pods without IP, other labels or namespaces, finished or terminating pods, and pods lacking the named port', () => {
    const pods = [
      pod({ ip: '' }),
      pod({ labels: { app: 'other' } }),
      pod({ ns: 'elsewhere' }),
      pod({ deleting: true }),
      pod({ phase: 'Succeeded', restartPolicy: 'Never' }),
      pod({ portName: 'grpc' }),
    ];
    expect(computeSubsets(service(), pods).subsets).to.deep.equal([]);
  });

  it('publishes not-ready and terminating pods as ready when the service asks', () => {
    const { subsets } = computeSubsets(service({ publishNotReadyAddresses: true }), [
      pod({ ready: false, ip: '10.1.1.1' }),
      pod({ deleting: true, ip: '10.1.1.2' }),
    ]);
    expect(subsets[0]!.addresses!.map((x) => x.ip)).to.deep.equal(['10.1.1.1', '10.1.1.2']);
    expect(subsets[0]!.notReadyAddresses).to.equal(undefined);
  });

  it('numeric target ports are used as is and hostnames need the matching subdomain', () => {
    const svc = service({ ports: [{ port: 80, targetPort: 8000, protocol: 'TCP' }] });
    const { subsets } = computeSubsets(svc, [
      pod({ ip: '10.0.0.9', hostname: 'h1', subdomain: 'web' }),
      pod({ ip: '10.0.0.8', hostname: 'h2', subdomain: 'x' }),
    ]);
    expect(subsets[0]!.ports).to.deep.equal([{ port: 8000, protocol: 'TCP' }]);
    expect(subsets[0]!.addresses!.map((x) => x.hostname)).to.deep.equal([undefined, 'h1']);
  });

  it('an unnamed service port is unnamed in Endpoints but named "" in an EndpointSlice (a pointer clients dereference)', () => {
    const svc = service({ ports: [{ port: 80, targetPort: 8000, protocol: 'TCP' }] });
    const slice = planSlices(svc, [pod({ ip: '10.0.0.9' })], []).create[0]!;
    expect(slice.ports).to.deep.equal([{ name: '', port: 8000, protocol: 'TCP' }]);
  });

  it('labels endpoints like the service, marking headless ones', () => {
    expect(endpointsLabels(service({ clusterIP: 'None' }))).to.deep.equal({ team: 'a', 'service.kubernetes.io/headless': '' });
  });
});

describe('endpointslice planning', () => {
  it('creates one slice with conditions and ports, owned by the service', () => {
    const ready = pod({ node: 'n1' });
    const terminating = pod({ deleting: true });
    const unready = pod({ ready: false });
    const plan = planSlices(service(), [ready, terminating, unready], []);
    expect(plan.update).to.deep.equal([]);
    expect(plan.create).to.have.length(1);
    const slice = plan.create[0]!;
    expect(slice.addressType).to.equal('IPv4');
    expect(slice.metadata.labels).to.deep.equal({
      team: 'a',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences).to.deep.equal([
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true },
    ]);
    expect(slice.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byName = Object.fromEntries(slice.endpoints.map((e: any) => [e.targetRef.name, e.conditions]));
    expect(byName[ready.metadata.name!]).to.deep.equal({ ready: true, serving: true, terminating: false });
    expect(byName[terminating.metadata.name!]).to.deep.equal({ ready: false, serving: true, terminating: true });
    expect(byName[unready.metadata.name!]).to.deep.equal({ ready: false, serving: false, terminating: false });
  });

  it('splits more than 100 endpoints and keeps endpoints where they are on the next pass', () => {
    const pods = Array.from({ length: MAX_ENDPOINTS_PER_SLICE + 30 }, (_, i) => pod({ ip: `10.9.${Math.floor(i / 200)}.${i % 200}` }));
    const first = planSlices(service(), pods, []);
    expect(first.create.map((s) => s.endpoints.length)).to.deep.equal([100, 30]);
    const existing = first.create.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `web-${i}`, resourceVersion: '1' } }));
    expect(planSlices(service(), pods, existing)).to.deep.equal({ create: [], update: [], delete: [] });
    // one pod gone from the big slice: only that slice changes
    const gone = (existing[0] as Obj).endpoints[5].targetRef.uid;
    const next = planSlices(
      service(),
      pods.filter((p) => p.metadata.uid !== gone),
      existing,
    );
    expect(next.create).to.deep.equal([]);
    expect(next.delete).to.deep.equal([]);
    expect(next.update.map((s) => [s.metadata.name, s.endpoints.length])).to.deep.equal([['web-0', 99]]);
  });

  it('keeps one empty slice when nothing matches and deletes the extra ones', () => {
    expect(planSlices(service(), [], []).create[0]!.endpoints).to.deep.equal([]);
    const old = (name: string) => ({
      metadata: { name, labels: {} },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: ['1.2.3.4'],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: { kind: 'Pod', name: 'x', namespace: 'ns', uid: 'gone' },
        },
      ],
    });
    const plan = planSlices(service(), [], [old('a'), old('b')]);
    expect(plan.create).to.deep.equal([]);
    expect(plan.update.map((s) => [s.metadata.name, s.endpoints.length, s.ports.length])).to.deep.equal([['a', 0, 0]]);
    expect(plan.delete.map((s) => s.metadata.name)).to.deep.equal(['b']);
  });
});
