// Issue 18 on a whole single-node cluster (kubelet over containerd, the metrics server that
// `make up` starts, the aggregator) through the real kubectl: `kubectl top` reports a
// busy-loop container at hundreds of millicores (its 300m limit on an idle machine; on a shared
// one what the scheduler gives it: kubelet/test/kubelet-stats.test.ts holds the figure to the
// cgroup's own count), an idle one under 10m, a container holding 24 MB at 24 MB or more,
// the node, --containers and --sort-by.
import { expect } from 'chai';
import { sharedSingleNodeCluster } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';

const NS = 'metrics-e2e';

// The busy loop is held to 300m by its limit: unlimited, it took a whole core from make test's
// other lanes on a 2-core machine for as long as the file ran.
const pod = (name: string, script: string, cpuLimit?: string) => {
  const resources = cpuLimit ? `\n    resources: { limits: { cpu: ${cpuLimit} } }` : '';
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: top } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", ${JSON.stringify(script)}]${resources}
`;
};

/** millicores of a `kubectl top` CPU column (250m, 1) */
const milli = (v: string) => (v.endsWith('m') ? Number(v.slice(0, -1)) : Number(v) * 1000);
/** MiB of a `kubectl top` memory column (24Mi) */
const mib = (v: string) => Number(v.replace(/Mi$/, ''));

describe('single node: kubectl top with real containers (issue 18)', function () {
  this.timeout(300_000);
  let c: SingleNodeCluster;
  const k = (args: string[], stdin?: string) => c.kubectlOk(args, stdin === undefined ? {} : { stdin });
  const rows = (text: string) =>
    text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));

  before(async function () {
    this.timeout(300_000);
    c = await sharedSingleNodeCluster();
    await k(['create', 'namespace', NS]);
    await k(
      ['apply', '-n', NS, '-f', '-'],
      [
        pod('busy', 'while :; do :; done', '300m'),
        pod('idle', 'exec sleep 3600'),
        pod('holder', 'x=$(head -c 24000000 /dev/zero | tr "\\0" a); sleep 3600; echo ${#x}'),
      ].join('\n---\n'),
    );
    await k(['wait', '-n', NS, '--for=condition=Ready', 'pod/busy', 'pod/idle', 'pod/holder', '--timeout=180s']);
  });

  after(async () => {
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('kubectl top pod: busy, idle and memory figures; --sort-by=cpu; --containers', async () => {
    // two scrapes (15 s apart) make the first rate; the holder's shell builds its 24 MB string
    // after it is Ready, which on a loaded machine can take longer than that
    const holderFilled = (text: string) => rows(text).some(([name, , mem]) => name === 'holder' && mib(mem ?? '0') >= 23);
    let out = '';
    for (let i = 0; i < 60; i++) {
      const r = await c.kubectl(['top', 'pod', '-n', NS, '--sort-by=cpu']);
      if (r.code === 0 && rows(r.stdout).length === 3) {
        out = r.stdout;
        if (holderFilled(out)) break;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(out, 'kubectl top pod never listed the three pods').not.to.equal('');
    const byName = Object.fromEntries(rows(out).map(([name, cpu, mem]) => [name!, { cpu: milli(cpu!), mem: mib(mem!) }]));
    process.stdout.write(`      kubectl top: busy ${byName.busy!.cpu}m, idle ${byName.idle!.cpu}m, holder ${byName.holder!.mem}Mi\n`);
    expect(rows(out)[0]![0], 'sorted by CPU, busy first').to.equal('busy');
    // A busy loop gets its share of the cores, not a fixed figure: beside make test's other lanes
    // (twenty runnable processes on two cores) it got 95m. kubelet-stats.test.ts holds the figure
    // to the cgroup's own count; here it must stand well clear of the idle pod's.
    expect(byName.busy!.cpu).to.be.within(Math.max(20, byName.idle!.cpu * 5), 450); // no more than its 300m limit, give or take the scrape windows
    expect(byName.idle!.cpu).to.be.below(10);
    expect(byName.holder!.mem).to.be.at.least(23);
    const containers = rows(await k(['top', 'pod', 'holder', '-n', NS, '--containers']));
    expect(containers[0]!.slice(0, 2)).to.deep.equal(['holder', 'main']);
  });

  it('kubectl top node and top pods -A', async () => {
    const nodes = rows(await k(['top', 'node']));
    expect(nodes.map((r) => r[0])).to.deep.equal([c.nodeName]);
    expect(milli(nodes[0]![1]!)).to.be.above(0);
    const all = rows(await k(['top', 'pods', '-A']));
    expect(
      all
        .filter((r) => r[0] === NS)
        .map((r) => r[1])
        .sort(),
    ).to.deep.equal(['busy', 'holder', 'idle']);
  });
});
