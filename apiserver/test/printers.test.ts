import { expect } from 'chai';
import { buildTable, humanDuration, parseIncludeObject, tableFor, toPartialObjectMetadata, toPartialObjectMetadataList } from '../src/printers/index.ts';
import { ApiError } from '../src/errors.ts';
import type { KObject } from '../src/registry/types.ts';

const now = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** Cells by column name, so expectations read like kubectl's output. */
function row(group: string, kind: string, obj: KObject): Record<string, unknown> {
  const t = tableFor(group, kind);
  const cells = t.cells(obj, now);
  expect(cells).to.have.length(t.columns.length);
  return Object.fromEntries(t.columns.map((c, i) => [c.name, cells[i]]));
}

function pod(status: any, spec: any = {}, meta: any = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: ago(300), resourceVersion: '42', ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = (name: string, extra: any = {}) => ({ name, ready: true, restartCount: 0, state: { running: { startedAt: ago(200) } }, ...extra });

describe('printers: ages (duration.HumanDuration)', () => {
  const cases: [number, string][] = [
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [0, '0s'],
    [5_000, '5s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [150_000, '2m30s'],
    [599_000, '9m59s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000, '3h'],
    [3 * 3600_000 + 25 * 60_000, '3h25m'],
    [8 * 3600_000 + 59 * 60_000, '8h'],
    [47 * 3600_000, '47h'],
    [48 * 3600_000, '2d'],
    [(3 * 24 + 4) * 3600_000, '3d4h'],
    [8 * 24 * 3600_000, '8d'],
    [400 * 24 * 3600_000, '400d'],
    [(2 * 365 + 45) * 24 * 3600_000, '2y45d'],
    [3 * 365 * 24 * 3600_000, '3y'],
    [9 * 365 * 24 * 3600_000, '9y'],
  ];
  for (const [ms, text] of cases) it(`${ms}ms → ${text}`, () => expect(humanDuration(ms)).to.equal(text));
});

describe('printers: Pod', () => {
  it('has the kube-apiserver columns with wide ones at priority 1', () => {
    const cols = tableFor('', 'Pod').columns;
    expect(cols.map((c) => c.name)).to.deep.equal(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(cols.map((c) => c.priority)).to.deep.equal([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(cols[0]).to.include({ type: 'string', format: 'name' });
  });

  it('prints a running pod like kubectl', () => {
    const r = row(
      '',
      'Pod',
      pod(
        {
          phase: 'Running',
          podIP: '10.244.0.5',
          podIPs: [{ ip: '10.244.0.5' }],
          containerStatuses: [running('app')],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
        { nodeName: 'node-1' },
      ),
    );
    expect(r).to.deep.equal({
      Name: 'web-0',
      Ready: '1/1',
      Status: 'Running',
      Restarts: '0',
      Age: '5m',
      IP: '10.244.0.5',
      Node: 'node-1',
      'Nominated Node': '<none>',
      'Readiness Gates': '<none>',
    });
  });

  it('shows Pending and <none> for an unscheduled pod', () => {
    const r = row('', 'Pod', pod({ phase: 'Pending' }));
    expect(r).to.include({ Ready: '0/1', Status: 'Pending', Restarts: '0', IP: '<none>', Node: '<none>' });
  });

  it('shows ContainerCreating from the waiting reason', () => {
    const r = row(
      '',
      'Pod',
      pod(
        { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
        { nodeName: 'n1' },
      ),
    );
    expect(r.Status).to.equal('ContainerCreating');
  });

  it('shows CrashLoopBackOff with restarts and when the last one was', () => {
    const r = row(
      '',
      'Pod',
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          },
        ],
      }),
    );
    expect(r).to.include({ Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '5 (5m ago)' });
  });

  it('shows Completed and marks the row condition for a succeeded pod', () => {
    const p = pod({
      phase: 'Succeeded',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    });
    expect(row('', 'Pod', p).Status).to.equal('Completed');
    const t = buildTable({ group: '', kind: 'Pod', items: [p], includeObject: 'None', withColumns: true, listMeta: {}, now }) as any;
    expect(t.rows[0].conditions).to.deep.equal([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  });

  it('shows Error / ExitCode / Signal for terminated containers', () => {
    const term = (t: any) => row('', 'Pod', pod({ phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: t } }] })).Status;
    expect(term({ exitCode: 1, reason: 'Error' })).to.equal('Error');
    expect(term({ exitCode: 3 })).to.equal('ExitCode:3');
    expect(term({ exitCode: 137, signal: 9 })).to.equal('Signal:9');
  });

  it('shows init progress as Init:x/y and init failures as Init:<reason>', () => {
    const spec = {
      initContainers: [
        { name: 'a', image: 'busybox' },
        { name: 'b', image: 'busybox' },
      ],
    };
    const done = { name: 'a', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    const runningInit = { name: 'b', restartCount: 0, state: { running: {} } };
    const waitingApp = [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }];
    expect(row('', 'Pod', pod({ phase: 'Pending', initContainerStatuses: [done, runningInit], containerStatuses: waitingApp }, spec)).Status).to.equal(
      'Init:1/2',
    );
    const crashing = { name: 'b', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } };
    const r = row('', 'Pod', pod({ phase: 'Pending', initContainerStatuses: [done, crashing], containerStatuses: waitingApp }, spec));
    expect(r.Status).to.equal('Init:CrashLoopBackOff');
    expect(r.Restarts).to.equal('2');
    const failed = { name: 'a', restartCount: 0, state: { terminated: { exitCode: 2 } } };
    expect(row('', 'Pod', pod({ phase: 'Pending', initContainerStatuses: [failed] }, spec)).Status).to.equal('Init:ExitCode:2');
  });

  it('counts sidecar (restartable init) containers in READY', () => {
    const spec = { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] };
    const r = row(
      '',
      'Pod',
      pod(
        {
          phase: 'Running',
          conditions: [
            { type: 'Initialized', status: 'True' },
            { type: 'Ready', status: 'True' },
          ],
          initContainerStatuses: [
            {
              name: 'proxy',
              ready: true,
              started: true,
              restartCount: 1,
              state: { running: {} },
              lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } },
            },
          ],
          containerStatuses: [running('app')],
        },
        spec,
      ),
    );
    expect(r).to.include({ Ready: '2/2', Status: 'Running', Restarts: '1 (60s ago)' });
  });

  it('shows Terminating for a deleted pod and Unknown for a lost node', () => {
    const deleted = { deletionTimestamp: ago(1) };
    expect(row('', 'Pod', pod({ phase: 'Running', containerStatuses: [running('app')] }, {}, deleted)).Status).to.equal('Terminating');
    expect(row('', 'Pod', pod({ phase: 'Running', reason: 'NodeLost' }, {}, deleted)).Status).to.equal('Unknown');
    expect(row('', 'Pod', pod({ phase: 'Succeeded' }, {}, deleted)).Status).to.equal('Succeeded');
  });

  it('shows NotReady when a container completed while another still runs without the pod being ready', () => {
    const r = row(
      '',
      'Pod',
      pod(
        {
          phase: 'Running',
          containerStatuses: [{ name: 'job', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running('app')],
        },
        { containers: [{ name: 'job' }, { name: 'app' }] },
      ),
    );
    expect(r).to.include({ Status: 'NotReady', Ready: '1/2' });
  });

  it('counts satisfied readiness gates', () => {
    const r = row(
      '',
      'Pod',
      pod(
        { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }] },
        { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/other' }] },
      ),
    );
    expect(r['Readiness Gates']).to.equal('1/2');
  });
});

describe('printers: workloads', () => {
  const template = {
    spec: {
      containers: [
        { name: 'nginx', image: 'nginx:1.27' },
        { name: 'sidecar', image: 'busybox' },
      ],
    },
  };

  it('Deployment: READY x/y, UP-TO-DATE, AVAILABLE, wide containers/images/selector', () => {
    const d: KObject = {
      metadata: { name: 'web', creationTimestamp: ago(3 * 86400 + 4 * 3600) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(tableFor('apps', 'Deployment').columns.map((c) => c.name)).to.deep.equal([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(row('apps', 'Deployment', d)).to.deep.equal({
      Name: 'web',
      Ready: '2/3',
      'Up-to-date': 3,
      Available: 2,
      Age: '3d4h',
      Containers: 'nginx,sidecar',
      Images: 'nginx:1.27,busybox',
      Selector: 'app=web,tier=fe',
    });
  });

  it('Deployment with no status yet reads 0/1 and match expressions print like label selectors', () => {
    const d: KObject = {
      metadata: { name: 'x', creationTimestamp: ago(10) },
      spec: {
        replicas: 1,
        selector: {
          matchExpressions: [
            { key: 'env', operator: 'In', values: ['prod', 'dev'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        template,
      },
      status: {},
    };
    expect(row('apps', 'Deployment', d)).to.include({ Ready: '0/1', 'Up-to-date': 0, Available: 0, Age: '10s', Selector: '!canary,env in (dev,prod)' });
  });

  it('ReplicaSet: DESIRED CURRENT READY as integers', () => {
    const rs: KObject = {
      metadata: { name: 'web-7d4b9c', creationTimestamp: ago(60) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c' } }, template },
      status: { replicas: 3, readyReplicas: 1 },
    };
    expect(row('apps', 'ReplicaSet', rs)).to.deep.equal({
      Name: 'web-7d4b9c',
      Desired: 3,
      Current: 3,
      Ready: 1,
      Age: '60s',
      Containers: 'nginx,sidecar',
      Images: 'nginx:1.27,busybox',
      Selector: 'app=web,pod-template-hash=7d4b9c',
    });
  });

  it('StatefulSet, DaemonSet, Job and CronJob', () => {
    expect(
      row('apps', 'StatefulSet', { metadata: { name: 'db', creationTimestamp: ago(5) }, spec: { replicas: 2, template }, status: { readyReplicas: 2 } }),
    ).to.include({ Ready: '2/2' });
    const ds = row('apps', 'DaemonSet', {
      metadata: { name: 'agent', creationTimestamp: ago(5) },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } } },
      status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
    });
    expect(ds).to.include({
      Desired: 2,
      Current: 2,
      Ready: 1,
      'Up-to-date': 2,
      Available: 1,
      'Node Selector': 'kubernetes.io/os=linux',
      Selector: 'app=agent',
    });
    const job = row('batch', 'Job', {
      metadata: { name: 'pi', creationTimestamp: ago(200) },
      spec: { completions: 1, template },
      status: { succeeded: 1, startTime: ago(190), completionTime: ago(150), conditions: [{ type: 'Complete', status: 'True' }] },
    });
    expect(job).to.include({ Status: 'Complete', Completions: '1/1', Duration: '40s', Age: '3m20s' });
    const running = row('batch', 'Job', {
      metadata: { name: 'w', creationTimestamp: ago(20) },
      spec: { parallelism: 3, template },
      status: { startTime: ago(20) },
    });
    expect(running).to.include({ Status: 'Running', Completions: '0/1 of 3', Duration: '20s' });
    const cj = row('batch', 'CronJob', {
      metadata: { name: 'hello', creationTimestamp: ago(600) },
      spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(30) },
    });
    expect(cj).to.include({ Schedule: '*/1 * * * *', Timezone: '<none>', Suspend: 'False', Active: 1, 'Last Schedule': '30s', Age: '10m' });
  });
});

describe('printers: core resources', () => {
  it('Service: ClusterIP, NodePort, LoadBalancer pending, ExternalName, headless', () => {
    const svc = (spec: any, status: any = {}) => row('', 'Service', { metadata: { name: 's', creationTimestamp: ago(3600) }, spec, status });
    expect(svc({ type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }] })).to.deep.equal({
      Name: 's',
      Type: 'ClusterIP',
      'Cluster-IP': '10.96.0.1',
      'External-IP': '<none>',
      'Port(s)': '443/TCP',
      Age: '60m',
      Selector: '<none>',
    });
    expect(
      svc({
        type: 'NodePort',
        clusterIPs: ['10.96.3.4'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web' },
      }),
    ).to.include({ 'Port(s)': '80:30080/TCP,53/UDP', Selector: 'app=web' });
    expect(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.3.5'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] })['External-IP']).to.equal(
      '<pending>',
    );
    expect(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.3.5'] }, { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } })['External-IP']).to.equal(
      '192.0.2.10',
    );
    expect(svc({ type: 'ExternalName', externalName: 'example.com' })).to.include({
      'External-IP': 'example.com',
      'Cluster-IP': '<none>',
      'Port(s)': '<none>',
    });
    expect(svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] })['Cluster-IP']).to.equal('None');
  });

  it('Node: Ready, SchedulingDisabled, roles, wide addresses and versions', () => {
    const node: KObject = {
      metadata: { name: 'node-1', creationTimestamp: ago(86400 * 10), labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' } },
      spec: { unschedulable: true },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'InternalIP', address: '192.168.1.10' },
          { type: 'Hostname', address: 'node-1' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.31.0',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0-18-amd64',
          containerRuntimeVersion: 'containerd://1.6.20',
        },
      },
    };
    expect(row('', 'Node', node)).to.deep.equal({
      Name: 'node-1',
      Status: 'Ready,SchedulingDisabled',
      Roles: 'control-plane,worker',
      Age: '10d',
      Version: 'v1.31.0',
      'Internal-IP': '192.168.1.10',
      'External-IP': '<none>',
      'OS-Image': 'Debian GNU/Linux 12 (bookworm)',
      'Kernel-Version': '6.1.0-18-amd64',
      'Container-Runtime': 'containerd://1.6.20',
    });
    const fresh = row('', 'Node', { metadata: { name: 'n2', creationTimestamp: ago(1) }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } });
    expect(fresh).to.include({ Status: 'NotReady', Roles: '<none>', 'OS-Image': '<unknown>' });
    expect(row('', 'Node', { metadata: { name: 'n3' }, status: {} })).to.include({ Status: 'Unknown', Age: '<unknown>' });
  });

  it('Namespace, Secret, ConfigMap, ServiceAccount, Endpoints', () => {
    expect(row('', 'Namespace', { metadata: { name: 'kube-system', creationTimestamp: ago(7200) }, status: { phase: 'Active' } })).to.deep.equal({
      Name: 'kube-system',
      Status: 'Active',
      Age: '120m',
    });
    expect(
      row('', 'Secret', { metadata: { name: 'tls', creationTimestamp: ago(3) }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==' } }),
    ).to.deep.equal({ Name: 'tls', Type: 'kubernetes.io/tls', Data: 2, Age: '3s' });
    expect(
      row('', 'ConfigMap', { metadata: { name: 'kube-root-ca.crt', creationTimestamp: ago(3) }, data: { 'ca.crt': '...' }, binaryData: { b: 'AA==' } }).Data,
    ).to.equal(2);
    expect(row('', 'ServiceAccount', { metadata: { name: 'default', creationTimestamp: ago(3) } }).Secrets).to.equal(0);
    const ep = row('', 'Endpoints', {
      metadata: { name: 'web', creationTimestamp: ago(3) },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: 'fd00::3' }, { ip: '10.0.0.4' }], ports: [{ port: 8080 }] }],
    });
    expect(ep.Endpoints).to.equal('10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 1 more...');
    expect(row('', 'Endpoints', { metadata: { name: 'none' } }).Endpoints).to.equal('<none>');
  });

  it('Event: last seen, type, reason, object, message; wide source/first seen/count/name', () => {
    const ev: KObject = {
      metadata: { name: 'web-0.17a2b', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      message: 'Successfully pulled image "nginx"\n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(30),
      count: 4,
    };
    expect(
      tableFor('', 'Event')
        .columns.filter((c) => c.priority === 0)
        .map((c) => c.name),
    ).to.deep.equal(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    expect(row('', 'Event', ev)).to.deep.equal({
      'Last Seen': '30s',
      Type: 'Normal',
      Reason: 'Pulled',
      Object: 'pod/web-0',
      Subobject: 'spec.containers{app}',
      Source: 'kubelet, node-1',
      Message: 'Successfully pulled image "nginx"',
      'First Seen': '10m',
      Count: 4,
      Name: 'web-0.17a2b',
    });
    const newApi = row('', 'Event', { metadata: { name: 'e' }, eventTime: ago(45), involvedObject: { kind: 'Node' }, reportingComponent: 'scheduler' });
    expect(newApi).to.include({ 'Last Seen': '45s', 'First Seen': '45s', Count: 1, Object: 'node', Source: 'scheduler' });
  });

  it('events.k8s.io Event is printed through the core layout', () => {
    const r = row('events.k8s.io', 'Event', {
      metadata: { name: 'e' },
      eventTime: ago(5),
      regarding: { kind: 'Pod', name: 'p' },
      note: 'hi',
      reason: 'Started',
      type: 'Normal',
      reportingController: 'kubelet',
      series: { count: 3, lastObservedTime: ago(2) },
    });
    expect(r).to.include({ 'Last Seen': '2s', Object: 'pod/p', Message: 'hi', Count: 3, Source: 'kubelet' });
  });
});

describe('printers: other groups and the default', () => {
  it('PodDisruptionBudget and ReplicationController (issue 16)', () => {
    const pdb = (spec: any, status: any) => row('policy', 'PodDisruptionBudget', { metadata: { name: 'web', creationTimestamp: ago(30) }, spec, status });
    expect(pdb({ minAvailable: 2, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 1 })).to.deep.equal({
      Name: 'web',
      'Min Available': '2',
      'Max Unavailable': 'N/A',
      'Allowed Disruptions': 1,
      Age: '30s',
    });
    expect(pdb({ maxUnavailable: '25%' }, {})).to.include({ 'Min Available': 'N/A', 'Max Unavailable': '25%', 'Allowed Disruptions': 0 });
    const rc = row('', 'ReplicationController', {
      metadata: { name: 'legacy', creationTimestamp: ago(30) },
      spec: { replicas: 3, selector: { app: 'legacy' }, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      status: { replicas: 2, readyReplicas: 1 },
    });
    expect(rc).to.deep.equal({ Name: 'legacy', Desired: 3, Current: 2, Ready: 1, Age: '30s', Containers: 'c', Images: 'nginx', Selector: 'app=legacy' });
  });

  it('Lease, PriorityClass, CSR, EndpointSlice', () => {
    expect(
      row('coordination.k8s.io', 'Lease', { metadata: { name: 'kube-scheduler', creationTimestamp: ago(30) }, spec: { holderIdentity: 'host_1234' } }),
    ).to.deep.equal({ Name: 'kube-scheduler', Holder: 'host_1234', Age: '30s' });
    expect(
      row('scheduling.k8s.io', 'PriorityClass', {
        metadata: { name: 'system-node-critical', creationTimestamp: ago(30) },
        value: 2000001000,
        preemptionPolicy: 'PreemptLowerPriority',
      }),
    ).to.deep.equal({ Name: 'system-node-critical', Value: 2000001000, 'Global-Default': false, Age: '30s', PreemptionPolicy: 'PreemptLowerPriority' });
    const csr = (status: any, spec: any = {}) =>
      row('certificates.k8s.io', 'CertificateSigningRequest', {
        metadata: { name: 'csr-1', creationTimestamp: ago(30) },
        spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:n1', ...spec },
        status,
      });
    expect(csr({})).to.deep.equal({
      Name: 'csr-1',
      Age: '30s',
      SignerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      Requestor: 'system:node:n1',
      RequestedDuration: '<none>',
      Condition: 'Pending',
    });
    expect(csr({ conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' }, { expirationSeconds: 86400 })).to.include({
      Condition: 'Approved,Issued',
      RequestedDuration: '24h',
    });
    expect(csr({ conditions: [{ type: 'Approved' }, { type: 'Denied' }] }).Condition).to.equal('Denied');
    const slice = row('discovery.k8s.io', 'EndpointSlice', {
      metadata: { name: 'web-abc', creationTimestamp: ago(30) },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }],
    });
    expect(slice).to.include({ AddressType: 'IPv4', Ports: '80', Endpoints: '10.0.0.1,10.0.0.2' });
    expect(row('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' }, addressType: 'IPv4' })).to.include({ Ports: '<unset>', Endpoints: '<unset>' });
  });

  it('anything else gets Name and Created At (RFC 3339)', () => {
    const t = tableFor('rbac.authorization.k8s.io', 'ClusterRole');
    expect(t.columns.map((c) => [c.name, c.type])).to.deep.equal([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(t.cells({ metadata: { name: 'admin', creationTimestamp: '2025-01-02T03:04:05Z' } }, now)).to.deep.equal(['admin', '2025-01-02T03:04:05Z']);
  });
});

describe('printers: Table and PartialObjectMetadata documents', () => {
  const items: KObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '5', uid: 'u1', creationTimestamp: ago(10) },
      data: { k: 'v' },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'ns', resourceVersion: '6', uid: 'u2', creationTimestamp: ago(20) } },
  ];

  it('builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const t = buildTable({
      group: '',
      kind: 'ConfigMap',
      items,
      includeObject: 'Metadata',
      withColumns: true,
      listMeta: { resourceVersion: '7', continue: 'tok', remainingItemCount: 3 },
      now,
    }) as any;
    expect(t.kind).to.equal('Table');
    expect(t.apiVersion).to.equal('meta.k8s.io/v1');
    expect(t.metadata).to.deep.equal({ resourceVersion: '7', continue: 'tok', remainingItemCount: 3 });
    expect(t.columnDefinitions.map((c: any) => c.name)).to.deep.equal(['Name', 'Data', 'Age']);
    expect(t.rows.map((r: any) => r.cells)).to.deep.equal([
      ['a', 1, '10s'],
      ['b', 0, '20s'],
    ]);
    expect(t.rows[0].object).to.deep.equal({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: items[0]!.metadata });
  });

  it('includes the full object, or none, as asked; watch events after the first carry no columns', () => {
    const full = buildTable({
      group: '',
      kind: 'ConfigMap',
      items,
      includeObject: 'Object',
      withColumns: false,
      listMeta: { resourceVersion: '6' },
      now,
    }) as any;
    expect(full.rows[1].object).to.equal(items[1]);
    expect(full.columnDefinitions).to.deep.equal([]);
    const none = buildTable({ group: '', kind: 'ConfigMap', items, includeObject: 'None', withColumns: true, listMeta: {}, now }) as any;
    expect(none.rows[0]).to.not.have.property('object');
    expect(none.metadata).to.deep.equal({});
  });

  it('uses a resource-supplied convertor when given', () => {
    const convertor = {
      columns: [
        { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
        { name: 'Spec', type: 'string', format: '', description: '', priority: 0 },
      ],
      cells: (o: KObject) => [o.metadata.name, 'x'],
    };
    const t = buildTable({
      group: 'example.com',
      kind: 'Widget',
      items: [items[0]!],
      includeObject: 'None',
      withColumns: true,
      listMeta: {},
      convertor,
    }) as any;
    expect(t.rows[0].cells).to.deep.equal(['a', 'x']);
    expect(t.columnDefinitions).to.equal(convertor.columns);
  });

  it('PartialObjectMetadata and PartialObjectMetadataList', () => {
    expect(toPartialObjectMetadata(items[0]!)).to.deep.equal({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: items[0]!.metadata });
    const list = toPartialObjectMetadataList(items, { resourceVersion: '9' }) as any;
    expect(list).to.include({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    expect(list.metadata).to.deep.equal({ resourceVersion: '9' });
    expect(list.items.map((i: any) => [i.kind, i.metadata.name])).to.deep.equal([
      ['PartialObjectMetadata', 'a'],
      ['PartialObjectMetadata', 'b'],
    ]);
  });

  it('parses includeObject and rejects unknown values with 400', () => {
    expect(parseIncludeObject(undefined)).to.equal('Metadata');
    expect(parseIncludeObject('Object')).to.equal('Object');
    expect(() => parseIncludeObject('Everything'))
      .to.throw(ApiError)
      .with.property('code', 400);
  });
});

describe('printers: ResourceQuota and LimitRange', () => {
  it('ResourceQuota: NAME AGE REQUEST LIMIT, limits.* in LIMIT, used 0 when not counted yet', () => {
    const quota: KObject = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q', namespace: 'default', creationTimestamp: ago(120) },
      status: { hard: { pods: '5', 'requests.cpu': '1', 'limits.memory': '1Gi' }, used: { pods: '2', 'limits.memory': '512Mi' } },
    };
    expect(tableFor('', 'ResourceQuota').columns.map((c) => c.name)).to.deep.equal(['Name', 'Age', 'Request', 'Limit']);
    expect(row('', 'ResourceQuota', quota)).to.deep.equal({ Name: 'q', Age: '2m', Request: 'pods: 2/5, requests.cpu: 0/1', Limit: 'limits.memory: 512Mi/1Gi' });
  });

  it('LimitRange: Name and Created At, as kube-apiserver prints it', () => {
    expect(tableFor('', 'LimitRange').columns.map((c) => c.name)).to.deep.equal(['Name', 'Created At']);
  });
});
