import { expect } from 'chai';
import { ApiError, fieldErrorMessage } from '../src/errors.ts';
import type { FieldError } from '../src/errors.ts';
import type { KObject, RequestContext, ResourceDef } from '../src/registry/types.ts';
import { allResources, builtinObjects } from '../src/registry/resources/index.ts';
import { pods, applyBinding, qosClassOf } from '../src/registry/resources/pods.ts';
import { deployments } from '../src/registry/resources/deployments.ts';
import { replicasets } from '../src/registry/resources/replicasets.ts';
import { services } from '../src/registry/resources/services.ts';
import { secrets } from '../src/registry/resources/secrets.ts';
import { namespaces } from '../src/registry/resources/namespaces.ts';
import { nodes } from '../src/registry/resources/nodes.ts';
import { events } from '../src/registry/resources/events.ts';
import { eventsK8sIo } from '../src/registry/resources/events-k8s-io.ts';
import { configmaps } from '../src/registry/resources/configmaps.ts';
import { priorityclasses } from '../src/registry/resources/priorityclasses.ts';
import { endpointslices } from '../src/registry/resources/endpointslices.ts';

const msgs = (e: FieldError[]) => e.map(fieldErrorMessage);
// These are pure-logic tests: a storage that holds no PriorityClass (the admission's only
// question to it); the admission itself is tested over real etcd in the scheduler package.
const noPriorityClasses = { list: async () => ({ items: [], resourceVersion: 1 }), get: async () => undefined };
const ctx = { user: { name: 't', groups: [] }, dryRun: false, services: { storage: noPriorityClasses } } as unknown as RequestContext;

/** defaults, validate and prepareForCreate in the store's order */
async function created(def: ResourceDef, obj: KObject): Promise<KObject> {
  const o = structuredClone(obj);
  def.defaults?.(o);
  const errs = def.validate?.(o) ?? [];
  if (errs.length) throw new Error(msgs(errs).join('\n'));
  await def.prepareForCreate?.(o, ctx);
  return o;
}

const pod = (spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});

describe('resources: the list', () => {
  it('has one definition per resource and version, and the built-in priority classes', () => {
    // a resource served at two versions (autoscaling v1 and v2) has a definition for each
    const ids = allResources.map((r) => `${r.group}/${r.version}/${r.resource}`);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids).to.include.members(['/v1/pods', '/v1/services', 'apps/v1/deployments', 'events.k8s.io/v1/events', 'scheduling.k8s.io/v1/priorityclasses']);
    expect(builtinObjects.map((b) => [b.object.metadata.name, b.object.value])).to.deep.equal([
      ['system-cluster-critical', 2000000000],
      ['system-node-critical', 2000001000],
    ]);
    for (const b of builtinObjects) expect(priorityclasses.validate!(structuredClone(b.object))).to.deep.equal([]);
  });
});

describe('resources: pods', () => {
  it("sets Kubernetes defaults (admission additions are the plugins' job: admission-*.test.ts)", async () => {
    const p = await created(
      pods,
      pod({
        containers: [
          { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } },
          { name: 'side', image: 'busybox:1.36' },
        ],
      }),
    );
    expect(p.spec).to.include({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    });
    expect(p.spec.serviceAccountName, 'set by the ServiceAccount admission plugin, not the strategy').to.equal(undefined);
    expect(p.spec.securityContext).to.deep.equal({});
    const [web, side] = p.spec.containers;
    expect(web).to.include({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(side.imagePullPolicy).to.equal('IfNotPresent');
    expect(web.ports[0].protocol).to.equal('TCP');
    expect(web.readinessProbe).to.deep.include({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(web.readinessProbe.httpGet.scheme).to.equal('HTTP');
    expect(p.status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('computes the QoS class', () => {
    const c = (resources: unknown) => ({ containers: [{ name: 'a', image: 'x', resources }] });
    expect(qosClassOf(c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } }))).to.equal('Guaranteed');
    expect(qosClassOf(c({ requests: { cpu: '100m' } }))).to.equal('Burstable');
    expect(qosClassOf(c({}))).to.equal('BestEffort');
  });

  it('allows image changes on update and refuses other spec changes', async () => {
    const old = await created(pods, pod());
    const imageOnly = structuredClone(old);
    imageOnly.spec.containers[0].image = 'nginx:2';
    expect(pods.validateUpdate!(imageOnly, old)).to.deep.equal([]);
    const restart = structuredClone(old);
    restart.spec.restartPolicy = 'Never';
    expect(msgs(pods.validateUpdate!(restart, old))[0]).to.match(
      /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
    const sneakBind = structuredClone(old);
    sneakBind.spec.nodeName = 'n1';
    pods.prepareForUpdate!(sneakBind, old, ctx);
    expect(pods.validateUpdate!(sneakBind, old)).to.have.length(1);
  });

  it('binds once, with the PodScheduled condition', async () => {
    const old = await created(pods, pod());
    const bound = applyBinding(old, { metadata: { name: 'web' }, target: { kind: 'Node', name: 'n1' } });
    expect(bound.spec.nodeName).to.equal('n1');
    expect(bound.status.conditions.map((c: any) => [c.type, c.status])).to.deep.equal([['PodScheduled', 'True']]);
    // the store's update path keeps the binding result
    const next = structuredClone(bound);
    await pods.prepareForUpdate!(next, old, ctx);
    expect(pods.validateUpdate!(next, old)).to.deep.equal([]);
    expect(next.status.conditions[0].type).to.equal('PodScheduled');
    try {
      applyBinding(bound, { metadata: { name: 'web' }, target: { name: 'n2' } });
      expect.fail('second binding accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(ApiError);
      expect((e as ApiError).code).to.equal(409);
      expect((e as ApiError).message).to.equal('Operation cannot be fulfilled on pods "web": pod web is already assigned to node "n1"');
    }
  });

  it('deletes unbound pods at once and bound ones gracefully', async () => {
    const p = await created(pods, pod());
    expect(pods.gracefulDeletion!(p, undefined)).to.equal(0);
    p.spec.nodeName = 'n1';
    expect(pods.gracefulDeletion!(p, undefined)).to.equal(30);
    expect(pods.gracefulDeletion!(p, 5)).to.equal(5);
    p.status.phase = 'Succeeded';
    expect(pods.gracefulDeletion!(p, undefined)).to.equal(0);
  });

  it('exposes field selectors and keeps spec on status updates', async () => {
    const p = await created(pods, pod({ nodeName: 'n1' }));
    expect(pods.selectableFields!(p)).to.include({ 'spec.nodeName': 'n1', 'status.phase': 'Pending', 'spec.restartPolicy': 'Always' });
    const sent = structuredClone(p);
    sent.spec.containers[0].image = 'evil';
    sent.status = { phase: 'Running', podIP: '10.0.0.5' };
    const next = pods.prepareForStatusUpdate!(sent, p);
    expect(next.spec.containers[0].image).to.equal('nginx');
    expect(next.status).to.include({ phase: 'Running', podIP: '10.0.0.5', qosClass: 'BestEffort' });
  });
});

describe('resources: deployments and replica sets', () => {
  const deploy = (over: Record<string, unknown> = {}): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
      ...over,
    },
  });

  it('defaults strategy, limits and template', async () => {
    const d = await created(deployments, deploy());
    expect(d.spec).to.deep.include({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    });
    expect(d.spec.template.spec.containers[0].imagePullPolicy).to.equal('IfNotPresent');
    expect(d.spec.template.spec.tolerations).to.equal(undefined);
  });

  it('refuses mismatched selectors, negative replicas and duplicate containers', () => {
    const d = deploy({
      replicas: -1,
      template: {
        metadata: { labels: { app: 'x' } },
        spec: {
          containers: [
            { name: 'web', image: 'a' },
            { name: 'web', image: 'b' },
          ],
        },
      },
    });
    deployments.defaults!(d);
    const m = msgs(deployments.validate!(d));
    expect(m).to.include('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(m).to.include('spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`');
    expect(m).to.include('spec.template.spec.containers[1].name: Duplicate value: "web"');
  });

  it('requires a selector and keeps it', async () => {
    const noSel = deploy({ selector: undefined });
    deployments.defaults!(noSel);
    expect(msgs(deployments.validate!(noSel))).to.include('spec.selector: Required value');
    const old = await created(replicasets, { ...deploy(), kind: 'ReplicaSet' });
    const changed = structuredClone(old);
    changed.spec.selector = { matchLabels: { app: 'other' } };
    expect(msgs(replicasets.validateUpdate!(changed, old))[0]).to.match(/^spec.selector: Invalid value: .*: field is immutable$/);
  });

  it('splits spec and status', async () => {
    const old = await created(deployments, deploy());
    old.status = { replicas: 3 };
    const put = structuredClone(old);
    put.status = { replicas: 99 };
    put.spec.replicas = 5;
    deployments.prepareForUpdate!(put, old, ctx);
    expect(put.status).to.deep.equal({ replicas: 3 });
    expect(deployments.specChanged!(put, old)).to.equal(true);
    const st = structuredClone(old);
    st.spec.replicas = 7;
    st.status = { replicas: 2 };
    const next = deployments.prepareForStatusUpdate!(st, old);
    expect(next.spec.replicas).to.equal(1);
    expect(next.status).to.deep.equal({ replicas: 2 });
    expect(deployments.scale).to.deep.equal({ specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.selector' });
  });

  it('refuses a rolling update that can never progress', () => {
    const d = deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } } });
    deployments.defaults!(d);
    expect(msgs(deployments.validate!(d))).to.include('spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0');
  });
});

describe('resources: services (validation and defaults)', () => {
  const svc = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec });

  it('defaults type, ports and policies', () => {
    const s = svc({ type: 'NodePort', ports: [{ port: 80 }] });
    services.defaults!(s);
    expect(s.spec).to.deep.include({
      type: 'NodePort',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      externalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    });
    expect(s.spec.ports[0]).to.deep.equal({ port: 80, protocol: 'TCP', targetPort: 80 });
  });

  it('validates names, ports and types', () => {
    const s = svc({
      ports: [
        { port: 70000, name: 'a' },
        { port: 80, nodePort: 30080 },
      ],
      type: 'ClusterIP',
    });
    s.metadata.name = '1web';
    services.defaults!(s);
    const m = msgs(services.validate!(s));
    expect(m).to.include('spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expect(m).to.include('spec.ports[1].name: Required value');
    expect(m).to.include("spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
    expect(m.some((x) => x.startsWith('metadata.name: Invalid value: "1web": a DNS-1035 label'))).to.equal(true);
  });

  it('keeps the cluster IP', () => {
    const old = svc({ ports: [{ port: 80 }], clusterIP: '10.96.0.10' });
    services.defaults!(old);
    const now = structuredClone(old);
    now.spec.clusterIP = '10.96.0.11';
    now.spec.clusterIPs = ['10.96.0.11'];
    expect(msgs(services.validateUpdate!(now, old))).to.deep.equal(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  });

  it('allows headless services without ports', () => {
    const s = svc({ clusterIP: 'None', selector: { app: 'web' } });
    services.defaults!(s);
    expect(services.validate!(s)).to.deep.equal([]);
  });
});

describe('resources: other kinds', () => {
  it('secrets fold stringData, default the type and check base64', () => {
    const s: KObject = { metadata: { name: 's', namespace: 'd' }, data: { a: 'eA==' }, stringData: { b: 'hello' } };
    secrets.defaults!(s);
    expect(s.type).to.equal('Opaque');
    expect(s.data).to.deep.equal({ a: 'eA==', b: 'aGVsbG8=' });
    expect(s.stringData).to.equal(undefined);
    expect(secrets.validate!(s)).to.deep.equal([]);
    const bad: KObject = { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'no!' } };
    const m = msgs(secrets.validate!(bad));
    expect(m).to.include('data[tls.crt]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 2');
    expect(m).to.include('data[tls.key]: Required value');
  });

  it('configmaps refuse bad keys and changes when immutable', () => {
    expect(msgs(configmaps.validate!({ metadata: { name: 'c', namespace: 'd' }, data: { 'a b': 'x' } }))[0]).to.match(
      /^data\[a b\]: Invalid value: "a b": a valid config key/,
    );
    const old: KObject = { metadata: { name: 'c', namespace: 'd' }, data: { a: '1' }, immutable: true };
    expect(msgs(configmaps.validateUpdate!({ ...old, data: { a: '2' } }, old))).to.deep.equal(['data: Forbidden: field is immutable when `immutable` is set']);
  });

  it('namespaces are labels with the kubernetes finalizer and Active phase', async () => {
    const ns = await created(namespaces, { metadata: { name: 'team-a' } });
    expect(ns.spec.finalizers).to.deep.equal(['kubernetes']);
    expect(ns.status).to.deep.equal({ phase: 'Active' });
    expect(ns.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(msgs(namespaces.validate!({ metadata: { name: 'a.b' } }))[0]).to.match(/^metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label/);
  });

  it('nodes select on spec.unschedulable', () => {
    expect(nodes.selectableFields!({ metadata: { name: 'n' }, spec: { unschedulable: true } })).to.deep.equal({ 'spec.unschedulable': 'true' });
    expect(nodes.selectableFields!({ metadata: { name: 'n' }, spec: {} })).to.deep.equal({ 'spec.unschedulable': 'false' });
  });

  it('events.k8s.io events convert to and from core events', () => {
    const ev: KObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      eventTime: '2024-01-01T00:00:00.000000Z',
      reportingController: 'skiff/scheduler',
      reportingInstance: 'sched-1',
      action: 'Binding',
      reason: 'Scheduled',
      type: 'Normal',
      note: 'assigned',
      regarding: { kind: 'Pod', name: 'web', namespace: 'default' },
      deprecatedCount: 2,
      series: { count: 2, lastObservedTime: '2024-01-01T00:00:01.000000Z' },
    };
    const core = eventsK8sIo.toStorage!(structuredClone(ev));
    expect(core).to.deep.include({ apiVersion: 'v1', message: 'assigned', reportingComponent: 'skiff/scheduler', count: 2 });
    expect(core.involvedObject).to.deep.equal(ev.regarding);
    expect(eventsK8sIo.validate!(core)).to.deep.equal([]);
    expect(eventsK8sIo.fromStorage!(structuredClone(core))).to.deep.equal(ev);
    expect(events.selectableFields!(core)).to.include({
      'involvedObject.kind': 'Pod',
      'involvedObject.name': 'web',
      reason: 'Scheduled',
      reportingComponent: 'skiff/scheduler',
      type: 'Normal',
    });
    const wrongNs = structuredClone(core);
    wrongNs.involvedObject.namespace = 'other';
    expect(msgs(events.validate!(wrongNs))).to.deep.equal(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    const missing = structuredClone(core);
    delete missing.action;
    delete missing.reportingInstance;
    expect(msgs(eventsK8sIo.validate!(missing))).to.deep.equal(['reportingInstance: Required value', 'action: Required value']);
  });

  it('priority classes reserve the system range', () => {
    const m = msgs(priorityclasses.validate!({ metadata: { name: 'high' }, value: 2000000000, preemptionPolicy: 'PreemptLowerPriority' }));
    expect(m).to.deep.equal(['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
    const old = { metadata: { name: 'high' }, value: 5, preemptionPolicy: 'Never' };
    expect(msgs(priorityclasses.validateUpdate!({ ...old, value: 6 }, old))).to.deep.equal(['value: Forbidden: may not be changed in an update.']);
  });

  it('endpoint slices need an address type and valid addresses', () => {
    const s: KObject = {
      metadata: { name: 'web-abc', namespace: 'd' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.300'] }],
      ports: [{ port: 80 }],
    };
    endpointslices.defaults!(s);
    expect(msgs(endpointslices.validate!(s))).to.deep.equal(['endpoints[0].addresses[0]: Invalid value: "10.0.0.300": must be a valid IPv4 address']);
  });
});
