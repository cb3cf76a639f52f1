// The container lifecycle the kubelet promises, against a real apiserver (real etcd) and a
// private containerd: probes restart and gate readiness, crash loops back off with doubling
// delays, ConfigMaps/Secrets/downwardAPI/projected/emptyDir reach the container, limits reach
// its cgroup, and a SIGKILLed kubelet process comes back without restarting any container.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useApiserver, startComponent, type ComponentHandle, until } from '@skiff/common/testing/index';
import { startLocalNode, type LocalNode } from '../src/runtime-setup/local-node.ts';
import * as L from '../src/runtime/labels.ts';

const BUSYBOX = '127.0.0.1:5000/skiff/busybox:latest';
const BACKOFF_MS = 2000;

type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function podClient(cluster: ReturnType<typeof useApiserver>) {
  const api = (method: string, path: string, body?: object, contentType?: string) =>
    cluster.server.request(method, path, body ? { body, ...(contentType ? { headers: { 'content-type': contentType } } : {}) } : {});
  return {
    api,
    async get(name: string): Promise<Json> {
      return JSON.parse((await api('GET', `/api/v1/namespaces/default/pods/${name}`)).body);
    },
    /** Events about the pod (core/v1, as kubectl describe reads them) */
    async events(name: string): Promise<Json[]> {
      return JSON.parse((await api('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).body).items;
    },
    async create(kind: string, obj: Json): Promise<Json> {
      const r = await api('POST', `/api/v1/namespaces/default/${kind}`, obj);
      expect(r.status, r.body).to.equal(201);
      return JSON.parse(r.body);
    },
  };
}

const condition = (p: Json, type: string) => p.status?.conditions?.find((c: Json) => c.type === type)?.status;

function pod(name: string, node: string, container: Json, extra: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', ...container }],
      ...extra,
    },
  };
}

describe('kubelet lifecycle: probes, back-off, config, cgroups', function () {
  this.timeout(120_000);
  const NODE = 'kl-node-1';
  const cluster = useApiserver();
  const pods = podClient(cluster);
  let node: LocalNode;
  const exec = async (name: string, ...cmd: string[]) => {
    const r = await cluster.server.kubectl('1.33', ['exec', name, '--', ...cmd]);
    if (r.code !== 0) throw new Error(`kubectl exec ${name} ${cmd.join(' ')}: ${r.code} ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    node = await startLocalNode({
      kubeconfigPath: cluster.server.kubeconfigPath,
      nodeName: NODE,
      subnet: '10.253.1.0/24',
      bridge: 'skiff-kl0',
      kubelet: { restartBackoffInitialMs: BACKOFF_MS },
    });
  });
  after(async () => {
    if (node) await node.stop();
  });

  it('liveness probes (exec, httpGet) restart the container and count restarts', async () => {
    await pods.create(
      'pods',
      pod('live-exec', NODE, {
        command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 600'],
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    await pods.create(
      'pods',
      pod('live-http', NODE, {
        command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/healthz; httpd -p 8080 -h /www; sleep 2; rm /www/healthz; sleep 600'],
        ports: [{ name: 'http', containerPort: 8080 }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    for (const name of ['live-exec', 'live-http']) {
      const p = await until(
        `${name} restarted twice`,
        async () => {
          const p = await pods.get(name);
          return p.status?.containerStatuses?.[0]?.restartCount >= 2 && p;
        },
        40_000,
      );
      const s = p.status.containerStatuses[0];
      // the killed attempt is reported as terminated by a signal
      expect(s.lastState.terminated, name).to.include.keys('exitCode', 'finishedAt');
      expect(s.lastState.terminated.exitCode, name).to.not.equal(0);
      const attempts = await node.cri.listContainers({ labelSelector: { [L.POD_UID]: p.metadata.uid } });
      expect(attempts.length, `${name}: CRI keeps the current and the previous attempt`).to.be.within(1, 2);
      // Every failed run is Unhealthy; each kill says why, once per restart.
      // events are counted up by the recorder after the kill, so the count may trail the status
      const events = await until(
        `${name}: the Killing event counted twice`,
        async () => {
          const all = await pods.events(name);
          return (all.find((e) => e.reason === 'Killing')?.count ?? 0) >= 2 && all;
        },
        15_000,
      );
      const unhealthy = events.filter((e) => e.reason === 'Unhealthy');
      expect(unhealthy.length, name).to.be.above(0);
      for (const e of unhealthy) expect([e.type, e.involvedObject.fieldPath], name).to.deep.equal(['Warning', 'spec.containers{c}']);
      expect(unhealthy.map((e) => e.message).join('\n'), name).to.match(
        name === 'live-http' ? /^Liveness probe failed: HTTP probe failed with statuscode: 404$/m : /^Liveness probe failed: /,
      );
      const killing = events.filter((e) => e.reason === 'Killing');
      expect(
        killing.map((e) => e.message),
        name,
      ).to.deep.equal(['Container c failed liveness probe, will be restarted']);
      expect(killing[0].count, name).to.be.at.least(2);
    }
  });

  it('readiness (httpGet, tcpSocket) gates Ready both ways', async () => {
    await pods.create(
      'pods',
      pod('ready-http', NODE, {
        command: ['sh', '-c', 'mkdir -p /www; httpd -p 8080 -h /www; sleep 600'],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    await pods.create(
      'pods',
      pod('ready-tcp', NODE, {
        command: ['sh', '-c', 'mkdir -p /www; sleep 600'],
        readinessProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    for (const name of ['ready-http', 'ready-tcp']) {
      await until(`${name} Running`, async () => (await pods.get(name)).status?.phase === 'Running');
      await sleep(2500); // a few probe periods: must stay unready
      const p = await pods.get(name);
      expect(condition(p, 'Ready'), name).to.equal('False');
      expect(condition(p, 'ContainersReady'), name).to.equal('False');
      expect(p.status.containerStatuses[0].ready, name).to.equal(false);
    }
    await exec('ready-http', 'sh', '-c', 'echo yes > /www/ready');
    await exec('ready-tcp', 'httpd', '-p', '9000', '-h', '/www');
    for (const name of ['ready-http', 'ready-tcp']) {
      const p = await until(
        `${name} Ready`,
        async () => {
          const p = await pods.get(name);
          return condition(p, 'Ready') === 'True' && p;
        },
        15_000,
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}; ps: ${await exec(name, 'ps').catch((x: Error) => x.message)} status: ${JSON.stringify((await pods.get(name)).status)}`);
      });
      expect(p.status.containerStatuses[0].ready).to.equal(true);
    }
    await exec('ready-http', 'rm', '/www/ready');
    await exec('ready-tcp', 'killall', 'httpd');
    for (const name of ['ready-http', 'ready-tcp']) {
      const p = await until(
        `${name} unready again`,
        async () => {
          const p = await pods.get(name);
          return condition(p, 'Ready') === 'False' && p;
        },
        15_000,
      );
      expect(p.status.containerStatuses[0].restartCount, 'readiness never restarts').to.equal(0);
      expect(p.status.phase).to.equal('Running');
      const events = await pods.events(name);
      const unhealthy = events.filter((e) => e.reason === 'Unhealthy');
      expect(
        unhealthy.every((e) => e.message.startsWith('Readiness probe failed: ')),
        name,
      ).to.equal(true);
      expect(
        unhealthy.reduce((n, e) => n + e.count, 0),
        `${name}: one per failed run`,
      ).to.be.at.least(2);
      expect(
        events.filter((e) => e.reason === 'Killing'),
        name,
      ).to.deep.equal([]);
    }
    expect((await pods.events('ready-http')).map((e) => e.message)).to.include('Readiness probe failed: HTTP probe failed with statuscode: 404');
  });

  it('a startupProbe holds liveness off until it passes', async () => {
    // Liveness alone would fail on its first period; the startup probe passes only after 5 s.
    await pods.create(
      'pods',
      pod('slow-start', NODE, {
        command: ['sh', '-c', 'sleep 5; touch /tmp/up; sleep 600'],
        startupProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    await until('slow-start Running', async () => (await pods.get('slow-start')).status?.phase === 'Running');
    await sleep(2000);
    const early = (await pods.get('slow-start')).status.containerStatuses[0];
    expect(early.started).to.equal(false);
    expect(early.restartCount).to.equal(0);
    const started = await until(
      'slow-start started',
      async () => {
        const p = await pods.get('slow-start');
        return p.status.containerStatuses[0].started && p;
      },
      15_000,
    );
    expect(condition(started, 'Ready')).to.equal('True');
    await sleep(2500); // liveness now runs and passes
    expect((await pods.get('slow-start')).status.containerStatuses[0].restartCount).to.equal(0);
  });

  it('a crashing container goes CrashLoopBackOff with doubling gaps between restarts', async () => {
    const created = await pods.create('pods', pod('crasher', NODE, { command: ['sh', '-c', 'echo crash; exit 1'] }));
    const uid = created.metadata.uid as string;
    // Every attempt as containerd saw it: attempt -> started / finished (ms). The kubelet
    // keeps two attempts, so poll faster than it removes them.
    const attempts = new Map<number, { started: number; finished: number }>();
    const ms = (ns: string) => Number(BigInt(ns) / 1_000_000n);
    const backoffMessages = new Set<string>();
    const backoffCounts: number[] = [];
    await until(
      'five restarts',
      async () => {
        for (const c of await node.cri.listContainers({ labelSelector: { [L.POD_UID]: uid } })) {
          const st = (await node.cri.containerStatus(c.id).catch(() => null))?.status;
          if (st?.state !== 'CONTAINER_EXITED') continue;
          attempts.set(Number(c.metadata?.attempt ?? 0), { started: ms(st.startedAt), finished: ms(st.finishedAt) });
        }
        const s = (await pods.get('crasher')).status?.containerStatuses?.[0];
        if (s?.state?.waiting?.reason === 'CrashLoopBackOff') backoffMessages.add(s.state.waiting.message);
        const backoff = (await pods.events('crasher')).find((e) => e.reason === 'BackOff');
        if (backoff && backoffCounts.at(-1) !== backoff.count) backoffCounts.push(backoff.count);
        return attempts.size >= 5 && [0, 1, 2, 3, 4].every((a) => attempts.has(a));
      },
      60_000,
      100,
    );
    // attempt 1 follows at once (as in Kubernetes), then BACKOFF_MS, 2x, 4x
    const gaps = [1, 2, 3, 4].map((a) => attempts.get(a)!.started - attempts.get(a - 1)!.finished);
    console.log(`      restart gaps (ms): ${gaps.join(', ')}`);
    expect(gaps[0]).to.be.below(BACKOFF_MS);
    for (let i = 1; i < 4; i++) {
      const expected = BACKOFF_MS * 2 ** (i - 1);
      // never before the back-off; after it, at the next sync, which a loaded machine delays:
      // up to half the back-off again still tells doubling gaps from any others
      expect(gaps[i], `gap before attempt ${i + 1}`).to.be.within(expected - 100, expected + Math.max(1500, expected / 2));
    }
    expect(
      [...backoffMessages].some((m) => /^back-off 4s restarting failed container=c pod=crasher_default/.test(m)),
      [...backoffMessages].join(' | '),
    ).to.equal(true);
    const p = await pods.get('crasher');
    expect(p.status.phase).to.equal('Running');
    expect(p.status.containerStatuses[0].restartCount).to.be.at.least(4);
    expect(p.status.containerStatuses[0].lastState.terminated.exitCode).to.equal(1);

    // Events: one BackOff per wait, its count growing; every attempt pulled (present), created, started.
    console.log(`      BackOff event counts seen: ${backoffCounts.join(', ')}`);
    expect(backoffCounts.length, 'BackOff count grew').to.be.at.least(2);
    expect(backoffCounts).to.deep.equal([...backoffCounts].sort((a, b) => a - b));
    const events = await until(
      'events of five attempts',
      async () => {
        const e = await pods.events('crasher');
        return (e.find((x) => x.reason === 'Started')?.count ?? 0) >= 5 && e;
      },
      5000,
    );
    const ev = (reason: string): Json => events.find((e: Json) => e.reason === reason) ?? {};
    expect(ev('BackOff')).to.deep.include({ type: 'Warning', message: `Back-off restarting failed container c in pod crasher_default(${uid})` });
    // three waits (before attempts 2, 3 and 4), maybe a fourth: a wait the kubelet sees only
    // after it has ended (the exit is seen by the next relist, up to 1 s late, later on a loaded
    // machine; the first back-off is 2 s) restarts at once without a BackOff event, as upstream
    expect(ev('BackOff').count).to.be.within(2, 4);
    expect(ev('Pulled').message).to.equal(`Container image "${BUSYBOX}" already present on machine`);
    expect(ev('Created').message).to.equal('Created container: c');
    expect(ev('Started').message).to.equal('Started container c');
    for (const reason of ['Pulled', 'Created', 'Started', 'BackOff']) {
      expect(ev(reason).involvedObject, reason).to.deep.include({ kind: 'Pod', name: 'crasher', uid, fieldPath: 'spec.containers{c}' });
    }
    expect(ev('Created').count).to.equal(ev('Started').count);

    const d = await cluster.server.kubectl('1.33', ['describe', 'pod', 'crasher']);
    expect(d.code, d.stderr).to.equal(0);
    const section = d.stdout.slice(d.stdout.indexOf('Events:'));
    console.log(section.replace(/^/gm, '      '));
    expect(section).to.match(/Warning\s+BackOff\s+.*\(x\d+ over .*\)\s+kubelet\s+Back-off restarting failed container c in pod crasher_default/);
    expect(section).to.match(/Normal\s+Started\s+.*\(x\d+ over .*\)\s+kubelet\s+Started container c/);
  });

  it('env and volumes from a ConfigMap, a Secret, downwardAPI, projected and emptyDir reach the container', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await pods.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-cfg' }, data: { color: 'blue', 'app.conf': 'level=1\n' } });
    await pods.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-secret' },
      data: { password: b64('s3cret'), token: b64('tok-1') },
    });
    await pods.create(
      'pods',
      pod(
        'configured',
        NODE,
        {
          command: ['sleep', '600'],
          resources: { limits: { memory: '64Mi' } },
          env: [
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'app-cfg', key: 'color' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
            { name: 'GREETING', value: 'color-is-$(COLOR)' },
          ],
          envFrom: [{ secretRef: { name: 'app-secret' }, prefix: 'S_' }],
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/cfg' },
            { name: 'sec', mountPath: '/etc/sec' },
            { name: 'info', mountPath: '/etc/info' },
            { name: 'all', mountPath: '/etc/all' },
            { name: 'mem', mountPath: '/scratch' },
            { name: 'disk', mountPath: '/cache' },
          ],
        },
        {
          volumes: [
            { name: 'cfg', configMap: { name: 'app-cfg' } },
            { name: 'sec', secret: { secretName: 'app-secret', items: [{ key: 'password', path: 'pw' }] } },
            {
              name: 'info',
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                ],
              },
            },
            {
              name: 'all',
              projected: {
                sources: [
                  { configMap: { name: 'app-cfg', items: [{ key: 'color', path: 'cm/color' }] } },
                  { secret: { name: 'app-secret', items: [{ key: 'token', path: 'sec/token' }] } },
                  { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
                ],
              },
            },
            { name: 'mem', emptyDir: { medium: 'Memory' } },
            { name: 'disk', emptyDir: {} },
          ],
        },
      ),
    );
    await until('configured Running', async () => (await pods.get('configured')).status?.phase === 'Running');
    const env = await exec('configured', 'env');
    for (const line of [
      'COLOR=blue',
      'PASSWORD=s3cret',
      'MY_POD=configured',
      `MEM_LIMIT=${64 * 2 ** 20}`,
      'GREETING=color-is-blue',
      'S_password=s3cret',
      'S_token=tok-1',
    ]) {
      expect(env.split('\n'), line).to.include(line);
    }
    expect(await exec('configured', 'cat', '/etc/cfg/color', '/etc/cfg/app.conf')).to.equal('bluelevel=1\n');
    expect(await exec('configured', 'cat', '/etc/sec/pw')).to.equal('s3cret');
    expect(await exec('configured', 'ls', '/etc/sec')).to.equal('pw\n');
    expect(await exec('configured', 'cat', '/etc/info/labels')).to.equal('app="configured"');
    expect(await exec('configured', 'cat', '/etc/info/name')).to.equal('configured');
    expect(await exec('configured', 'cat', '/etc/all/cm/color', '/etc/all/sec/token', '/etc/all/ns')).to.equal('bluetok-1default');
    const mounts = await exec('configured', 'cat', '/proc/mounts');
    expect(
      mounts.split('\n').find((l) => l.split(' ')[1] === '/scratch'),
      mounts,
    ).to.match(/^tmpfs \/scratch tmpfs /);
    expect(
      mounts
        .split('\n')
        .find((l) => l.split(' ')[1] === '/cache')
        ?.split(' ')[2],
    ).to.not.equal('tmpfs');
    expect(await exec('configured', 'sh', '-c', 'echo x > /scratch/f && echo y > /cache/f && cat /scratch/f /cache/f')).to.equal('x\ny\n');
    // read-only config volumes
    const write = await cluster.server.kubectl('1.33', ['exec', 'configured', '--', 'sh', '-c', 'echo no > /etc/cfg/color']);
    expect(write.code).to.not.equal(0);

    // an update of the ConfigMap reaches the mounted file (env stays as it started)
    const r = await pods.api('PATCH', '/api/v1/namespaces/default/configmaps/app-cfg', { data: { color: 'green' } }, 'application/merge-patch+json');
    expect(r.status, r.body).to.equal(200);
    // within a periodic pass (10 s) and the object cache's age (10 s), as upstream's kubelet
    // brings an update within its sync period and cache TTL
    await until('updated configMap volume', async () => (await exec('configured', 'cat', '/etc/cfg/color')) === 'green', 30_000, 1000);
    expect(await exec('configured', 'cat', '/etc/all/cm/color')).to.equal('green');
    expect((await exec('configured', 'env')).split('\n')).to.include('COLOR=blue');
  });

  it('resource limits and requests reach the container cgroup', async () => {
    const created = await pods.create(
      'pods',
      pod('limited', NODE, {
        command: ['sleep', '600'],
        resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
      }),
    );
    const p = await until('limited Running', async () => {
      const p = await pods.get('limited');
      return p.status?.phase === 'Running' && p;
    });
    expect(p.status.qosClass).to.equal('Burstable');
    const [c] = await node.cri.listContainers({ labelSelector: { [L.POD_UID]: created.metadata.uid } });
    const info = (await node.cri.containerStatus(c!.id, true)).info;
    const pid = JSON.parse(info.info ?? '{}').pid as number;
    expect(pid, JSON.stringify(info).slice(0, 300)).to.be.above(0);
    // cgroups v1: "<id>:<controllers>:<path>" per hierarchy
    const cgroups = new Map<string, string>();
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
      const [, controllers, path] = line.split(':');
      for (const ctl of controllers!.split(',')) cgroups.set(ctl, path!);
    }
    const read = (ctl: string, file: string) => {
      const dir = join('/sys/fs/cgroup', ctl, cgroups.get(ctl)!);
      expect(existsSync(join(dir, file)), `${dir}/${file}`).to.equal(true);
      return readFileSync(join(dir, file), 'utf8').trim();
    };
    expect(read('cpu', 'cpu.cfs_quota_us')).to.equal('50000');
    expect(read('cpu', 'cpu.cfs_period_us')).to.equal('100000');
    expect(read('cpu', 'cpu.shares')).to.equal('256');
    expect(read('memory', 'memory.limit_in_bytes')).to.equal(String(64 * 2 ** 20));
  });
});

describe('kubelet process killed with SIGKILL', function () {
  this.timeout(120_000);
  const NODE = 'kl-node-2';
  const cluster = useApiserver();
  const pods = podClient(cluster);
  let node: LocalNode;
  let proc: ComponentHandle | undefined;

  before(async () => {
    // The in-process kubelet only prepares the node; a kubelet process takes over below.
    node = await startLocalNode({ kubeconfigPath: cluster.server.kubeconfigPath, nodeName: NODE, subnet: '10.253.2.0/24', bridge: 'skiff-kl1' });
    await node.kubelet.stop();
  });
  after(async () => {
    await proc?.stop();
    if (node) await node.stop();
  });

  it('a restarted kubelet process restarts no container', async () => {
    const cfg = node.kubeletConfig;
    const startedTimes = () => readFileSync(proc!.logFile, 'utf8').split('"kubelet started"').length - 1;
    proc = await startComponent({
      workspace: 'kubelet',
      args: [
        '--kubeconfig',
        cluster.server.kubeconfigPath,
        '--node-name',
        NODE,
        '--container-runtime-endpoint',
        cfg.containerRuntimeEndpoint!,
        '--root-dir',
        cfg.rootDir,
        '--cni-conf-dir',
        cfg.cniConfDir!,
        '--cni-bridge',
        cfg.cniBridge!,
        '--pod-cidr',
        cfg.podCIDR!,
        '--node-ip',
        '127.0.0.1',
        '--bind-address',
        '127.0.0.1',
        '--port',
        '0',
      ],
    });
    await until('kubelet started', async () => startedTimes() === 1, 30_000);
    for (const name of ['keep-a', 'keep-b']) await pods.create('pods', pod(name, NODE, { command: ['sleep', '3600'] }));
    const before = await Promise.all(
      ['keep-a', 'keep-b'].map((n) =>
        until(`${n} Running`, async () => {
          const p = await pods.get(n);
          return p.status?.phase === 'Running' && p;
        }),
      ),
    );
    const idsOf = async (uid: string) => (await node.cri.listContainers({ labelSelector: { [L.POD_UID]: uid } })).map((c) => c.id).sort();
    const sandboxesOf = async (uid: string) => (await node.cri.listPodSandbox({ labelSelector: { [L.POD_UID]: uid } })).map((s) => s.id).sort();
    const idsBefore = await Promise.all(before.map((p) => idsOf(p.metadata.uid)));
    const sandboxesBefore = await Promise.all(before.map((p) => sandboxesOf(p.metadata.uid)));

    process.kill(proc.pid, 'SIGKILL');
    await until(
      'kubelet process gone',
      async () => {
        try {
          process.kill(proc!.pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      5000,
    );
    // A pod created while the kubelet is down must start once it is back.
    await pods.create('pods', pod('while-down', NODE, { command: ['sleep', '3600'] }));
    await proc.restart();
    await until('kubelet started again', async () => startedTimes() === 2, 30_000);
    await until('while-down Running', async () => (await pods.get('while-down')).status?.phase === 'Running', 30_000);
    await sleep(2000); // several resyncs of the adopted pods

    for (const [i, p] of before.entries()) {
      expect(await idsOf(p.metadata.uid), p.metadata.name).to.deep.equal(idsBefore[i]);
      expect(await sandboxesOf(p.metadata.uid), p.metadata.name).to.deep.equal(sandboxesBefore[i]);
      const now = await pods.get(p.metadata.name);
      expect(now.status.containerStatuses[0].restartCount).to.equal(0);
      expect(now.status.containerStatuses[0].containerID).to.equal(p.status.containerStatuses[0].containerID);
      expect(now.status.podIP).to.equal(p.status.podIP);
    }
  });
});
