// Issue 6 acceptance on a whole single-node cluster started by the project's scripts: a web
// Deployment behind a ClusterIP and a NodePort Service, reached from the host and from pods,
// through scaling, readiness changes and proxy restarts. Real kubectl 1.33 (1.32 for exec).
// Issue 24 on the same Deployment: the course's debugging pod (`--image=busybox`, offline)
// through a pseudo-terminal, and every tool a student uses in it.
import { expect } from 'chai';
import { kubectlBinary, waitFor as waitForProbe } from '@skiff/common/testing/index';
import { sharedSingleNodeCluster, tallyPods, httpGet, servingPod, run } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';
import { startInTerminal } from '../../src/single-node/terminal.ts';

const NS = 'shop-e2e';

// terminationGracePeriodSeconds is short so that scaled-down pods leave quickly;
// the readiness probe reads /www/healthz, which the web image writes at start.
const SHOP = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, labels: { app: shop } }
spec:
  replicas: 3
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: 127.0.0.1:5000/skiff/web:latest
        ports: [{ name: http, containerPort: 8080 }]
        readinessProbe:
          httpGet: { path: /healthz, port: http }
          periodSeconds: 1
          failureThreshold: 1
          # a busy test machine must not flap the pods
          timeoutSeconds: 3
---
apiVersion: v1
kind: Service
metadata: { name: shop }
spec:
  selector: { app: shop }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: shop-np }
spec:
  type: NodePort
  selector: { app: shop }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

interface PodView {
  name: string;
  ip: string;
  ready: boolean;
  terminating: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('single node: Services as a user sees them (issue 6)', function () {
  this.timeout(180_000);
  let c: SingleNodeCluster;
  let nodePort: number;

  async function pods(): Promise<PodView[]> {
    const out = await c.kubectlOk(['-n', NS, 'get', 'pods', '-l', 'app=shop', '-o', 'json']);
    const list = JSON.parse(out) as {
      items: { metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
    };
    return list.items.map((p) => ({
      name: p.metadata.name,
      ip: p.status.podIP ?? '',
      terminating: !!p.metadata.deletionTimestamp,
      ready: p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
    }));
  }
  const servingPods = async () =>
    (await pods())
      .filter((p) => p.ready && !p.terminating)
      .map((p) => p.name)
      .sort();

  const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => waitForProbe(what, probe, timeoutMs);

  const readyCount = (n: number) =>
    waitFor(`${n} ready shop pods`, 60_000, async () => {
      const names = await servingPods();
      return names.length === n && (await pods()).length === n ? names : undefined;
    });

  /** Requests for `ms` milliseconds; each answer with the time it came back (failures as "!reason"). */
  async function sample(ms: number): Promise<{ at: number; pod: string }[]> {
    const out: { at: number; pod: string }[] = [];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      try {
        const a = await httpGet(c.network.nodeIP, nodePort, '/', 3000);
        out.push({ at: Date.now(), pod: a.status === 200 ? servingPod(a.body) : `!HTTP ${a.status}` });
      } catch (e) {
        out.push({ at: Date.now(), pod: `!${(e as Error).message}` });
        await sleep(20);
      }
    }
    return out;
  }

  /** cluster.sh up must succeed; on failure the logs of the node services say why */
  async function upAgain(): Promise<string> {
    const up = await c.clusterScript('up');
    const tails = ['kubelet', 'proxy', 'registry'].map((s) => `--- ${s} log:\n${c.logTail(s, 15)}`).join('\n');
    expect(up.code, `${up.stdout}${up.stderr}\n${tails}`).to.equal(0);
    return up.stderr;
  }

  const exec = (pod: string, cmd: string[]) => c.kubectl(['-n', NS, 'exec', pod, '--', ...cmd], { version: '1.32', timeoutMs: 30_000 });

  before(async function () {
    this.timeout(300_000);
    c = await sharedSingleNodeCluster();
    await c.kubectlOk(['create', 'namespace', NS]);
    await c.kubectlOk(['-n', NS, 'apply', '-f', '-'], { stdin: SHOP });
    await c.kubectlOk(['-n', NS, 'rollout', 'status', 'deploy/shop', '--timeout=120s'], { timeoutMs: 130_000 });
    nodePort = Number(await c.kubectlOk(['-n', NS, 'get', 'svc', 'shop-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    expect(nodePort).to.be.within(30000, 32767);
    await readyCount(3);
  });
  after(async function () {
    this.timeout(120_000);
    // the cluster is shared with the other e2e files: only this file's namespace goes
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
  });

  it('100 requests from the host to NODE_IP:nodePort reach all 3 pods', async () => {
    const expected = await servingPods();
    // the proxy may still be applying the last endpoint change of the rollout
    await waitFor('all 3 pods behind the NodePort', 10_000, async () => ((await tallyPods(c.network.nodeIP, nodePort, 30)).pods.size === 3 ? true : undefined));
    const tally = await tallyPods(c.network.nodeIP, nodePort, 100);
    expect(tally.failures, 'failed requests').to.deep.equal([]);
    expect([...tally.pods.keys()].sort()).to.deep.equal(expected);
    expect([...tally.pods.values()].reduce((a, b) => a + b)).to.equal(100);
  });

  it('from a pod: the ClusterIP, the name shop and shop.<ns>.svc.cluster.local answer', async () => {
    const [client] = await servingPods();
    const clusterIP = await c.kubectlOk(['-n', NS, 'get', 'svc', 'shop', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(clusterIP).to.match(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    const names = new Set(await servingPods());
    for (const url of [`http://${clusterIP}/`, 'http://shop/', `http://shop.${NS}.svc.cluster.local/`]) {
      const r = await exec(client!, ['wget', '-qO-', url]);
      expect(r.code, `wget ${url}: ${r.stderr}`).to.equal(0);
      expect(names, `${url} answered by`).to.include(servingPod(r.stdout));
    }
    // a name that does not exist is NXDOMAIN, not an answer from somewhere
    const missing = await exec(client!, ['wget', '-qO-', 'http://no-such-service/']);
    expect(missing.code).to.not.equal(0);
  });

  it("the course's debugging pod: kubectl run -i --tty busybox --image=busybox --rm; wget the Service, telnet a pod (issue 24)", async () => {
    const target = (await pods()).find((p) => p.ready && !p.terminating)!;
    const term = startInTerminal(kubectlBinary('1.33'), [
      `--kubeconfig=${c.kubeconfig}`,
      '-n',
      NS,
      'run',
      '-i',
      '--tty',
      'busybox',
      '--image=busybox',
      '--rm',
      '--restart=Never',
    ]);
    try {
      await term.waitFor(/If you don't see a command prompt|# $/m, 90_000);
      term.type('wget -qO- http://shop/\r');
      await term.waitFor(/<p>pod: shop-[a-z0-9]+-[a-z0-9]+<\/p>/, 20_000);
      // telnet as a student types it: connect, then an HTTP request by hand
      term.type(`telnet ${target.ip} 8080\r`);
      await term.waitFor(new RegExp(`Connected to ${target.ip.replace(/\./g, '\\.')}`), 15_000);
      term.type('GET / HTTP/1.0\r\r');
      await term.waitFor(new RegExp(`HTTP/1\\.[01] 200 OK[\\s\\S]*<p>pod: ${target.name}</p>[\\s\\S]*Connection closed by foreign host`), 15_000);
      // busybox telnet exits 1 when the server closes; `exit` would hand that on to kubectl
      term.type('echo back-$((40+2))\r');
      await term.waitFor(/back-42/, 10_000);
      term.type('exit\r');
      const code = await Promise.race([
        term.exited,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`kubectl did not exit:\n${term.output()}`)), 30_000)),
      ]);
      expect(code, term.output()).to.equal(0);
      expect(term.output()).to.match(/pod "busybox" deleted/);
    } finally {
      term.kill();
    }
    const gone = await c.kubectl(['-n', NS, 'get', 'pod', 'busybox']);
    expect(gone.stderr).to.match(/NotFound|not found/);
  });

  it('busybox by its short and its full Docker Hub name runs offline; each tool of the debugging pod works in it (issue 24)', async () => {
    const names = { short: 'tools', full: 'tools-full' };
    await c.kubectlOk(['-n', NS, 'run', names.short, '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    await c.kubectlOk(['-n', NS, 'run', names.full, '--image=docker.io/library/busybox:latest', '--restart=Never', '--', 'sleep', '3600']);
    try {
      for (const name of Object.values(names)) {
        const waited = await c.kubectl(['-n', NS, 'wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s'], { timeoutMs: 100_000 });
        const why = waited.code === 0 ? '' : (await c.kubectl(['-n', NS, 'describe', 'pod', name])).stdout;
        expect(waited.code, `${name} not Ready:\n${waited.stderr}\n${why}`).to.equal(0);
      }
      // the usual pull events (or "already present" when the node has the image)
      const described = await c.kubectlOk(['-n', NS, 'describe', 'pod', names.short]);
      expect(described).to.match(/Pulled .*(Successfully pulled image "busybox"|Container image "busybox" already present)/);

      const target = (await pods()).find((p) => p.ready && !p.terminating)!;
      const dashed = target.ip.replace(/\./g, '-');
      const clusterIP = await c.kubectlOk(['-n', NS, 'get', 'svc', 'shop', '-o', 'jsonpath={.spec.clusterIP}']);
      const shopPods = new Set((await pods()).map((p) => p.name));
      const http = 'GET / HTTP/1.0\\r\\n\\r\\n';
      // busybox's nslookup also asks the search domains and exits 1 for their NXDOMAINs, and
      // its telnet exits 1 when the server closes: both as in the official busybox image
      const checks: { what: string; cmd: string[]; ok: (out: string) => boolean; exitCodes?: number[] }[] = [
        { what: 'sh', cmd: ['sh', '-c', 'echo sh-$((6*7))'], ok: (o) => o === 'sh-42\n' },
        { what: 'wget to a pod IP', cmd: ['wget', '-qO-', `http://${target.ip}:8080/`], ok: (o) => servingPod(o) === target.name },
        { what: 'wget to a Service name', cmd: ['wget', '-qO-', 'http://shop/'], ok: (o) => shopPods.has(servingPod(o)) },
        // the NetworkPolicy tutorial's form; Debian's busybox crashes on it without the image's wget script
        { what: 'wget --spider --timeout=1', cmd: ['wget', '--spider', '--timeout=1', 'http://shop/'], ok: () => true },
        { what: 'wget -T 5', cmd: ['wget', '-T', '5', '-qO-', 'http://shop/'], ok: (o) => shopPods.has(servingPod(o)) },
        {
          what: 'wget to a pod DNS name',
          cmd: ['wget', '-qO-', `http://${dashed}.${NS}.pod.cluster.local:8080/`],
          ok: (o) => servingPod(o) === target.name,
        },
        {
          what: 'nslookup a Service',
          cmd: ['nslookup', 'shop'],
          ok: (o) => o.includes(`Name:\tshop.${NS}.svc.cluster.local\nAddress: ${clusterIP}\n`),
          exitCodes: [0, 1],
        },
        {
          what: 'nslookup a pod name',
          cmd: ['nslookup', `${dashed}.${NS}.pod.cluster.local`],
          ok: (o) => o.includes(`Address: ${target.ip}\n`),
          exitCodes: [0, 1],
        },
        {
          what: 'telnet',
          cmd: ['sh', '-c', `(printf '${http}'; sleep 1) | telnet ${target.ip} 8080`],
          ok: (o) => /HTTP\/1\.[01] 200 OK/.test(o) && servingPod(o) === target.name,
          exitCodes: [0, 1],
        },
        {
          what: 'nc',
          cmd: ['sh', '-c', `printf '${http}' | nc ${target.ip} 8080`],
          ok: (o) => /HTTP\/1\.[01] 200 OK/.test(o) && servingPod(o) === target.name,
        },
        { what: 'ping', cmd: ['ping', '-c', '1', '-W', '5', target.ip], ok: (o) => /1 packets received/.test(o) },
        { what: 'printenv', cmd: ['printenv', 'HOSTNAME'], ok: (o) => o === `${names.short}\n` },
        { what: 'env', cmd: ['env'], ok: (o) => o.split('\n').includes(`HOSTNAME=${names.short}`) },
        { what: 'ps', cmd: ['ps'], ok: (o) => /sleep 3600/.test(o) },
        { what: 'top -n 1', cmd: ['top', '-n', '1'], ok: (o) => /Mem:/.test(o) && /sleep 3600/.test(o) },
        {
          what: 'vi',
          cmd: ['sh', '-c', 'echo x > /tmp/f && vi -c ":1s/x/edited-in-vi/" -c ":wq" /tmp/f </dev/null >/dev/null 2>&1; cat /tmp/f'],
          ok: (o) => o === 'edited-in-vi\n',
        },
      ];
      const failures: string[] = [];
      for (const check of checks) {
        const r = await exec(names.short, check.cmd);
        let passed = false;
        try {
          passed = (check.exitCodes ?? [0]).includes(r.code) && check.ok(r.stdout);
        } catch {
          // servingPod() throws for a page that names no pod: a failure like any other
        }
        if (!passed) failures.push(`${check.what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      }
      expect(failures, failures.join('\n---\n')).to.deep.equal([]);
    } finally {
      await c.kubectl(['-n', NS, 'delete', 'pod', ...Object.values(names), '--now', '--wait=false']);
    }
  });

  it('scaling to 1 and back to 3 changes which pods answer within 2 s', async () => {
    await c.kubectlOk(['-n', NS, 'scale', 'deploy/shop', '--replicas=1']);
    const scaledAt = Date.now();
    const samples = await sample(4000);
    const [survivor] = await readyCount(1);
    const others = samples.filter((s) => s.pod !== survivor);
    const lastOther = others.length ? others[others.length - 1]!.at - scaledAt : 0;
    expect(lastOther, `answers not from ${survivor} after the scale-down: ${JSON.stringify(others.slice(-5))}`).to.be.at.most(2000);
    expect(samples.filter((s) => s.at - scaledAt > 2000).length, 'requests after 2 s').to.be.greaterThan(10);

    const before = new Set([survivor]);
    await c.kubectlOk(['-n', NS, 'scale', 'deploy/shop', '--replicas=3']);
    const all = await readyCount(3);
    const readyAt = Date.now();
    const fresh = all.filter((n) => !before.has(n));
    expect(fresh).to.have.length(2);
    const firstSeen = new Map<string, number>();
    while (Date.now() - readyAt < 4000 && firstSeen.size < fresh.length) {
      for (const s of await sample(200)) if (fresh.includes(s.pod) && !firstSeen.has(s.pod)) firstSeen.set(s.pod, s.at - readyAt);
    }
    expect([...firstSeen.keys()].sort(), 'new pods answering').to.deep.equal(fresh.sort());
    for (const [pod, after] of firstSeen) expect(after, `${pod} first answered after`).to.be.at.most(2000);
  });

  it('a pod whose readiness probe fails stops receiving traffic, and gets it back when it passes again', async () => {
    const [victim] = await servingPods();
    const rm = await exec(victim!, ['rm', '/www/healthz']);
    expect(rm.code, rm.stderr).to.equal(0);
    try {
      const removedAt = Date.now();
      await waitFor(`${victim} unready`, 10_000, async () => ((await servingPods()).includes(victim!) ? undefined : true));
      const samples = await sample(5000);
      const hits = samples.filter((s) => s.pod === victim);
      // probe period 1 s + endpoints + proxy sync; after that, not one request may reach it
      const lastHit = hits.length ? hits[hits.length - 1]!.at - removedAt : 0;
      expect(lastHit, 'last request served by the unready pod (ms after the probe file went)').to.be.at.most(4000);
      const late = samples.filter((s) => s.at - removedAt > 4000);
      expect(late.length).to.be.greaterThan(20);
      expect(
        late.filter((s) => s.pod.startsWith('!')),
        'failed requests',
      ).to.deep.equal([]);
      expect(new Set(late.map((s) => s.pod)).size, 'the two ready pods still answer').to.equal(2);
      const ep = await c.kubectlOk(['-n', NS, 'get', 'endpoints', 'shop', '-o', 'json']);
      const victimIP = (await pods()).find((p) => p.name === victim)!.ip;
      expect(ep).to.include(victimIP); // listed, but as notReadyAddresses
      expect((JSON.parse(ep) as { subsets: { addresses?: { ip: string }[] }[] }).subsets.flatMap((s) => s.addresses ?? []).map((a) => a.ip)).to.not.include(
        victimIP,
      );
    } finally {
      // the later tests need all three pods again, also when an assertion above failed
      const back = await exec(victim!, ['sh', '-c', 'echo ok > /www/healthz']);
      expect(back.code, back.stderr).to.equal(0);
    }
    await readyCount(3);
    const tally = await tallyPods(c.network.nodeIP, nodePort, 60);
    expect(tally.pods.has(victim!), 'the pod serves again once ready').to.equal(true);
  });

  it('make up a second time leaves every running service alone (same PIDs, nothing started)', async () => {
    const services = ['etcd', 'apiserver', 'controller-manager', 'scheduler', 'registry', 'containerd', 'kubelet', 'proxy', 'dns'];
    const before = Object.fromEntries(services.map((s) => [s, c.pid(s)]));
    const out = await upAgain();
    expect(
      out.split('\n').filter((l) => l.includes('starting ')),
      'services started again',
    ).to.deep.equal([]);
    expect(Object.fromEntries(services.map((s) => [s, c.pid(s)]))).to.deep.equal(before);
  });

  it('restarting the proxy (kill by PID, start via the scripts) keeps traffic flowing', async () => {
    // a probe that flapped just before the kill would leave the stopped proxy's rules one pod short
    await waitFor('all 3 pods behind the NodePort', 10_000, async () => ((await tallyPods(c.network.nodeIP, nodePort, 30)).pods.size === 3 ? true : undefined));
    const oldPid = c.pid('proxy');
    expect(oldPid).to.be.a('number');
    process.kill(oldPid!, 'SIGTERM');
    await waitFor('proxy exit', 15_000, async () => {
      try {
        process.kill(oldPid!, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    // no proxy at all: the rules it left in place carry on
    const whileDown = await tallyPods(c.network.nodeIP, nodePort, 30);
    expect(whileDown.failures, 'requests while the proxy is down').to.deep.equal([]);
    const rules = async () =>
      (await c.inNode('iptables-save', ['-t', 'nat'])).stdout
        .split('\n')
        .filter((l) => l.includes('shop-np'))
        .join('\n');
    expect(
      whileDown.pods.size,
      `pods answering while the proxy is down: ${[...whileDown.pods.keys()].join(' ')}\n${await rules()}\n--- proxy log:\n${c.logTail('proxy', 15)}`,
    ).to.equal(3);
    // a Service made while no proxy runs is programmed by the next one
    await c.kubectlOk(['-n', NS, 'create', 'service', 'nodeport', 'shop-late', '--tcp=80:8080']);
    await c.kubectlOk(['-n', NS, 'patch', 'service', 'shop-late', '-p', '{"spec":{"selector":{"app":"shop"}}}']);
    const latePort = Number(await c.kubectlOk(['-n', NS, 'get', 'svc', 'shop-late', '-o', 'jsonpath={.spec.ports[0].nodePort}']));

    const out = await upAgain();
    expect(out)
      .to.match(/starting proxy/)
      .and.match(/kubelet: already running/)
      .and.not.match(/starting kubelet/);
    const newPid = c.pid('proxy');
    expect(newPid).to.not.equal(oldPid);
    const after = await tallyPods(c.network.nodeIP, nodePort, 30);
    expect(after.failures).to.deep.equal([]);
    expect(after.pods.size).to.equal(3);
    await waitFor('the Service made while the proxy was down answers', 5_000, async () =>
      (await tallyPods(c.network.nodeIP, latePort, 3)).failures.length === 0 ? true : undefined,
    );
  });

  it('proxy --cleanup removes every rule of ours from the node; a started proxy puts them back', async () => {
    const rulesBefore = (await c.inNode('iptables-save', [])).stdout;
    expect(rulesBefore)
      .to.match(/^:SKIFF-SERVICES /m)
      .and.include(`--dport ${nodePort}`);
    const pid = c.pid('proxy')!;
    process.kill(pid, 'SIGTERM');
    await waitFor('proxy exit', 15_000, async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    // in the node's network namespace only: the chain names are the same on every Skiff node
    const cleanup = await c.inNode('node', [...c.componentArgs('proxy'), '--cleanup']);
    expect(cleanup.code, cleanup.stdout + cleanup.stderr).to.equal(0);
    const rulesAfter = (await c.inNode('iptables-save', [])).stdout;
    expect(
      rulesAfter.split('\n').filter((l) => l.includes('SKIFF')),
      'rules of ours left after --cleanup',
    ).to.deep.equal([]);
    const refused = await httpGet(c.network.nodeIP, nodePort, '/', 1000).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    expect(refused, 'the NodePort without rules').to.not.equal('answered');

    await upAgain();
    await waitFor('NodePort answers after the proxy is back', 10_000, async () =>
      (await tallyPods(c.network.nodeIP, nodePort, 5)).failures.length === 0 ? true : undefined,
    );
    expect((await c.inNode('iptables-save', [])).stdout).to.match(/^:SKIFF-SERVICES /m);
  });

  it("leaves the host's own packet filter alone: none of this cluster's addresses are in it", async () => {
    const host = await run('iptables-save', []);
    expect(host.code).to.equal(0);
    const ips = (await c.kubectlOk(['get', 'svc', '-A', '-o', 'jsonpath={.items[*].spec.clusterIP}'])).split(' ').filter(Boolean);
    expect(ips).to.include('10.96.0.10'); // kube-dns, published by the cluster DNS
    const node = (await c.inNode('iptables-save', [])).stdout;
    for (const ip of ips.filter((ip) => ip !== '10.96.0.1' && ip !== '10.96.0.10')) {
      expect(node, `node rules for ${ip}`).to.include(`-d ${ip}/32`);
      expect(host.stdout, `host rules for ${ip}`).to.not.include(`-d ${ip}/32`);
    }
    expect(host.stdout).to.not.include(c.network.nodeIP);
  });

  // Issue 13, acceptance 1. Last in this suite: it deletes every namespace, this suite's too.
  it('kubectl delete ns --all: the system namespaces stay, the rest go, kube-node-lease comes back, a new Deployment runs (issue 13)', async function () {
    this.timeout(300_000);
    const names = async () =>
      JSON.parse(await c.kubectlOk(['get', 'ns', '-o', 'json'])).items as { metadata: { name: string; uid: string }; status: { phase: string } }[];
    const leaseNsUid = (await names()).find((n) => n.metadata.name === 'kube-node-lease')?.metadata.uid;
    expect(leaseNsUid).to.be.a('string');
    const del = await c.kubectl(['delete', 'ns', '--all', '--wait=false']);
    expect(del.code).to.equal(1);
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      expect(del.stderr).to.include(`Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`);
    }
    expect(del.stdout).to.include(`namespace "${NS}" deleted`).and.include('namespace "kube-node-lease" deleted');
    // the namespace controller empties and removes the others; the apiserver recreates kube-node-lease
    const settled = await waitFor('only the system namespaces, kube-node-lease recreated', 150_000, async () => {
      const all = await names();
      const view = all.map((n) => `${n.metadata.name}=${n.status.phase}`).sort();
      const lease = all.find((n) => n.metadata.name === 'kube-node-lease');
      return view.length === 4 && lease && lease.metadata.uid !== leaseNsUid && lease.status.phase === 'Active' ? view : undefined;
    });
    expect(settled).to.deep.equal(['default=Active', 'kube-node-lease=Active', 'kube-public=Active', 'kube-system=Active']);
    // the kubelet gets its node Lease back in the new kube-node-lease
    await waitFor('the node Lease in the new kube-node-lease', 60_000, async () =>
      (await c.kubectl(['-n', 'kube-node-lease', 'get', 'lease', c.nodeName])).code === 0 ? true : undefined,
    );
    await c.kubectlOk(['create', 'deployment', 'after-wipe', '--image=127.0.0.1:5000/skiff/web:latest', '--replicas=2']);
    await c.kubectlOk(['rollout', 'status', 'deploy/after-wipe', '--timeout=120s'], { timeoutMs: 130_000 });
    const running = JSON.parse(await c.kubectlOk(['get', 'pods', '-l', 'app=after-wipe', '-o', 'json'])).items.filter(
      (p: { spec: { nodeName?: string }; status: { phase: string } }) => p.spec.nodeName === c.nodeName && p.status.phase === 'Running',
    );
    expect(running).to.have.length(2);
  });

  it('a controller-manager that loses its Lease exits ("leaderelection lost") and its supervisor restarts it (issue 13)', async function () {
    this.timeout(180_000);
    const status = async () => (await c.clusterScript('status')).stdout;
    expect(await status()).to.match(/controller-manager: ready \(pid \d+, restarts 0\)/);
    // another holder takes the Lease over for a few seconds, as a second replica would
    const now = new Date().toISOString().replace('Z', '000Z');
    await c.kubectlOk([
      '-n',
      'kube-system',
      'patch',
      'lease',
      'kube-controller-manager',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { holderIdentity: 'e2e-thief', renewTime: now, leaseDurationSeconds: 5 } }),
    ]);
    const restarted = await waitFor('controller-manager restarted by its supervisor', 60_000, async () => {
      const out = await status();
      return /controller-manager: ready \(pid \d+, restarts 1, last exit 1 at /.test(out) ? out : undefined;
    });
    expect(restarted).to.match(/scheduler: ready \(pid \d+, restarts 0\)/);
    expect(c.logTail('controller-manager', 200)).to.include('leaderelection lost');
    // the new process takes the Lease once the thief's expires, and its controllers work again
    await waitFor('the Lease held again by a controller-manager', 60_000, async () => {
      const holder = await c.kubectlOk(['-n', 'kube-system', 'get', 'lease', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
      return holder && holder !== 'e2e-thief' ? holder : undefined;
    });
    await c.kubectlOk(['scale', 'deploy/after-wipe', '--replicas=3']);
    await c.kubectlOk(['rollout', 'status', 'deploy/after-wipe', '--timeout=90s'], { timeoutMs: 100_000 });
  });
});
