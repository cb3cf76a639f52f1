import { expect } from 'chai';
import { CycleState } from '../src/framework/interface.ts';
import type { NodeScore } from '../src/framework/interface.ts';
import { nodeUnschedulable } from '../src/plugins/node-unschedulable.ts';
import { nodeName } from '../src/plugins/node-name.ts';
import { nodeResourcesFit } from '../src/plugins/node-resources-fit.ts';
import { nodePorts } from '../src/plugins/node-ports.ts';
import { nodeAffinity } from '../src/plugins/node-affinity.ts';
import { taintToleration } from '../src/plugins/taint-toleration.ts';
import { interPodAffinity } from '../src/plugins/inter-pod-affinity.ts';
import { podTopologySpread } from '../src/plugins/pod-topology-spread.ts';
import { balancedAllocation } from '../src/plugins/balanced-allocation.ts';
import { imageLocality } from '../src/plugins/image-locality.ts';
import { podRequests } from '../src/resources.ts';
import { makeNode, makePod, nodeInfo, pi, viewOf } from './fixtures.ts';

const state = () => new CycleState();

describe('scheduler plugins', () => {
  describe('resources', () => {
    it('counts init containers and sidecars as Kubernetes does', () => {
      const spec = {
        containers: [{ resources: { requests: { cpu: '100m', memory: '100Mi' } } }, { resources: { requests: { cpu: '200m' } } }],
        initContainers: [
          { resources: { requests: { cpu: '1', memory: '50Mi' } } },
          { restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '10Mi' } } },
          { resources: { requests: { cpu: '500m' } } },
        ],
        overhead: { cpu: '10m' },
      };
      const r = podRequests(spec);
      // regular 300m + sidecar 50m = 350m; init peak max(1000, 500+50) = 1000m; + 10m overhead
      expect(r.milliCPU).to.equal(1010);
      expect(r.memory).to.equal((100 + 10) * 1024 * 1024);
      expect(podRequests({ containers: [{}] }, true).milliCPU).to.equal(100);
    });
  });

  it('NodeUnschedulable rejects cordoned nodes unless tolerated', () => {
    const p = nodeUnschedulable();
    const n = nodeInfo(makeNode('n1', { unschedulable: true }));
    expect(p.filter(state(), pi(makePod('a')), n, viewOf([n]))!.reasons).to.deep.equal(['node(s) were unschedulable']);
    const tolerant = makePod('b', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(p.filter(state(), pi(tolerant), n, viewOf([n]))).to.equal(null);
  });

  it('NodeName matches only the named node', () => {
    const n = nodeInfo(makeNode('n1'));
    expect(nodeName().filter(state(), pi(makePod('a', { nodeName: 'n2' })), n, viewOf([n]))!.code).to.equal('UnschedulableAndUnresolvable');
    expect(nodeName().filter(state(), pi(makePod('a', { nodeName: 'n1' })), n, viewOf([n]))).to.equal(null);
  });

  describe('NodeResourcesFit', () => {
    it('reports each insufficient resource and too many pods', () => {
      const n = nodeInfo(makeNode('n1', { cpu: '1', memory: '1Gi', pods: 1 }), [makePod('old', { cpu: '600m', memory: '512Mi' })]);
      const s = nodeResourcesFit().filter(state(), pi(makePod('a', { cpu: '500m', memory: '600Mi' })), n, viewOf([n]));
      expect(s!.code).to.equal('Unschedulable');
      expect(s!.reasons).to.deep.equal(['Too many pods', 'Insufficient cpu', 'Insufficient memory']);
      const m = nodeInfo(makeNode('m', { cpu: '1', memory: '1Gi' }), [makePod('old', { cpu: '600m' })]);
      expect(nodeResourcesFit().filter(state(), pi(makePod('b', { cpu: '400m' })), m, viewOf([m]))).to.equal(null);
    });
    it('scores the less allocated node higher (LeastAllocated) and the fuller one with MostAllocated', () => {
      const empty = nodeInfo(makeNode('e', { cpu: '4', memory: '8Gi' }));
      const busy = nodeInfo(makeNode('b', { cpu: '4', memory: '8Gi' }), [makePod('x', { cpu: '2', memory: '4Gi' })]);
      const pod = pi(makePod('a', { cpu: '1', memory: '2Gi' }));
      const least = nodeResourcesFit();
      expect(least.score(state(), pod, empty, viewOf([]))).to.equal(75);
      expect(least.score(state(), pod, busy, viewOf([]))).to.equal(25);
      const most = nodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } });
      expect(most.score(state(), pod, busy, viewOf([]))).to.equal(75);
    });
  });

  it('NodePorts: hostPort conflicts, 0.0.0.0 against any address', () => {
    const withPort = (name: string, port: number, ip?: string) =>
      makePod(name, { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, hostIP: ip }] }] } });
    const n = nodeInfo(makeNode('n1'), [withPort('old', 8080, '10.0.0.1')]);
    expect(nodePorts().filter(state(), pi(withPort('a', 8080)), n, viewOf([n]))!.reasons[0]).to.equal(
      "node(s) didn't have free ports for the requested pod ports",
    );
    expect(nodePorts().filter(state(), pi(withPort('b', 8080, '10.0.0.2')), n, viewOf([n]))).to.equal(null);
    expect(nodePorts().filter(state(), pi(withPort('c', 8081)), n, viewOf([n]))).to.equal(null);
  });

  describe('NodeAffinity', () => {
    const nodes = [nodeInfo(makeNode('a', { labels: { zone: 'z1', gen: '3' } })), nodeInfo(makeNode('b', { labels: { zone: 'z2', gen: '5' } }))];
    const run = (spec: any) => {
      const p = nodeAffinity();
      const st = state();
      const pod = pi(makePod('p', { spec }));
      p.preFilter(st, pod, viewOf(nodes));
      return nodes.map((n) => (st.skipFilter.has('NodeAffinity') ? null : p.filter(st, pod, n, viewOf(nodes))) === null);
    };
    it('honours nodeSelector', () => expect(run({ nodeSelector: { zone: 'z2' } })).to.deep.equal([false, true]));
    it('honours required terms with In, NotIn, Exists, DoesNotExist, Gt, Lt', () => {
      const req = (expr: any) => ({
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr] }] } } },
      });
      expect(run(req({ key: 'zone', operator: 'In', values: ['z1'] }))).to.deep.equal([true, false]);
      expect(run(req({ key: 'zone', operator: 'NotIn', values: ['z1'] }))).to.deep.equal([false, true]);
      expect(run(req({ key: 'gen', operator: 'Gt', values: ['4'] }))).to.deep.equal([false, true]);
      expect(run(req({ key: 'gen', operator: 'Lt', values: ['4'] }))).to.deep.equal([true, false]);
      expect(run(req({ key: 'gpu', operator: 'Exists' }))).to.deep.equal([false, false]);
      expect(run(req({ key: 'gpu', operator: 'DoesNotExist' }))).to.deep.equal([true, true]);
    });
    it('scores preferred terms by weight', () => {
      const p = nodeAffinity();
      const st = state();
      const pod = pi(
        makePod('p', {
          spec: {
            affinity: {
              nodeAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] } },
                  { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
                ],
              },
            },
          },
        }),
      );
      p.preScore(st, pod, nodes, viewOf(nodes));
      const scores: NodeScore[] = nodes.map((n) => ({ node: n, score: p.score(st, pod, n, viewOf(nodes)) }));
      p.normalizeScore!(st, pod, scores);
      expect(scores.map((s) => s.score)).to.deep.equal([50, 100]);
    });
  });

  describe('TaintToleration', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    it('filters untolerated NoSchedule taints with the Kubernetes message', () => {
      const n = nodeInfo(makeNode('n1', { taints: [taint] }));
      expect(taintToleration().filter(state(), pi(makePod('a')), n, viewOf([n]))!.reasons).to.deep.equal(['node(s) had untolerated taint {dedicated: gpu}']);
      const ok = makePod('b', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } });
      expect(taintToleration().filter(state(), pi(ok), n, viewOf([n]))).to.equal(null);
    });
    it('scores PreferNoSchedule taints down', () => {
      const p = taintToleration();
      const clean = nodeInfo(makeNode('c'));
      const tainted = nodeInfo(makeNode('t', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }));
      const pod = pi(makePod('a'));
      const scores = [clean, tainted].map((n) => ({ node: n, score: p.score(state(), pod, n, viewOf([])) }));
      p.normalizeScore!(state(), pod, scores);
      expect(scores.map((s) => s.score)).to.deep.equal([100, 0]);
    });
  });

  describe('InterPodAffinity', () => {
    const anti = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    };
    const affinityZone = {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' }] } },
    };
    const fits = (pod: any, nodes: any[]) => {
      const p = interPodAffinity();
      const st = state();
      const info = pi(pod);
      const v = viewOf(nodes);
      p.preFilter(st, info, v);
      return nodes.map((n) => p.filter(st, info, n, v)?.reasons[0] ?? 'ok');
    };
    it('keeps replicas with required anti-affinity apart', () => {
      const nodes = [nodeInfo(makeNode('a'), [makePod('w1', { labels: { app: 'web' }, spec: anti })]), nodeInfo(makeNode('b'))];
      expect(fits(makePod('w2', { labels: { app: 'web' }, spec: anti }), nodes)).to.deep.equal(["node(s) didn't match pod anti-affinity rules", 'ok']);
    });
    it("respects existing pods' anti-affinity against the new pod", () => {
      const nodes = [nodeInfo(makeNode('a'), [makePod('w1', { labels: { app: 'other' }, spec: anti })]), nodeInfo(makeNode('b'))];
      expect(fits(makePod('x', { labels: { app: 'web' } }), nodes)).to.deep.equal(["node(s) didn't satisfy existing pods anti-affinity rules", 'ok']);
    });
    it('requires a matching pod in the same zone, except for the first of a self-selecting group', () => {
      const nodes = [
        nodeInfo(makeNode('a', { labels: { zone: 'z1' } }), [makePod('db', { labels: { app: 'db' } })]),
        nodeInfo(makeNode('b', { labels: { zone: 'z1' } })),
        nodeInfo(makeNode('c', { labels: { zone: 'z2' } })),
      ];
      expect(fits(makePod('app', { spec: affinityZone }), nodes)).to.deep.equal(['ok', 'ok', "node(s) didn't match pod affinity rules"]);
      const lonely = [nodeInfo(makeNode('c', { labels: { zone: 'z2' } }))];
      expect(fits(makePod('db2', { labels: { app: 'db' }, spec: affinityZone }), lonely)).to.deep.equal(['ok']);
    });
    it('scores preferred affinity towards nodes with matching pods', () => {
      const nodes = [nodeInfo(makeNode('a'), [makePod('c1', { labels: { app: 'cache' } })]), nodeInfo(makeNode('b'))];
      const pod = pi(
        makePod('p', {
          spec: {
            affinity: {
              podAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
          },
        }),
      );
      const p = interPodAffinity();
      const st = state();
      const v = viewOf(nodes);
      p.preScore(st, pod, nodes, v);
      const scores = nodes.map((n) => ({ node: n, score: p.score(st, pod, n, v) }));
      p.normalizeScore!(st, pod, scores);
      expect(scores.map((s) => s.score)).to.deep.equal([100, 0]);
    });
  });

  describe('PodTopologySpread', () => {
    const spread = (when: string) => ({
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 's' } } }],
    });
    const nodes = () => [
      nodeInfo(makeNode('a'), [makePod('s1', { labels: { app: 's' } })]),
      nodeInfo(makeNode('b'), [makePod('s2', { labels: { app: 's' } })]),
      nodeInfo(makeNode('c')),
      nodeInfo(makeNode('nolabel', { labels: {} })),
    ];
    it('DoNotSchedule: only the emptiest domain keeps skew <= 1', () => {
      const ns = nodes();
      delete (ns[3]!.labels as any)['kubernetes.io/hostname'];
      const p = podTopologySpread();
      const st = state();
      const pod = pi(makePod('s3', { labels: { app: 's' }, spec: spread('DoNotSchedule') }));
      p.preFilter(st, pod, viewOf(ns));
      expect(ns.map((n) => p.filter(st, pod, n, viewOf(ns))?.reasons[0] ?? 'ok')).to.deep.equal([
        "node(s) didn't match pod topology spread constraints",
        "node(s) didn't match pod topology spread constraints",
        'ok',
        "node(s) didn't match pod topology spread constraints (missing required label)",
      ]);
    });
    it('ScheduleAnyway: emptier domains score higher', () => {
      const ns = nodes().slice(0, 3);
      const p = podTopologySpread();
      const st = state();
      const pod = pi(makePod('s3', { labels: { app: 's' }, spec: spread('ScheduleAnyway') }));
      p.preScore(st, pod, ns, viewOf(ns));
      const scores = ns.map((n) => ({ node: n, score: p.score(st, pod, n, viewOf(ns)) }));
      p.normalizeScore!(st, pod, scores);
      expect(scores[2]!.score).to.be.greaterThan(scores[0]!.score);
      expect(scores[0]!.score).to.equal(scores[1]!.score);
    });
  });

  it('NodeResourcesBalancedAllocation prefers even cpu/memory use', () => {
    const p = balancedAllocation();
    const even = nodeInfo(makeNode('e', { cpu: '4', memory: '4Gi' }));
    const skewed = nodeInfo(makeNode('s', { cpu: '4', memory: '4Gi' }), [makePod('x', { cpu: '3' })]);
    const pod = pi(makePod('a', { cpu: '1', memory: '1Gi' }));
    expect(p.score(state(), pod, even, viewOf([]))).to.equal(100);
    expect(p.score(state(), pod, skewed, viewOf([]))).to.equal(62); // shares 1.0 and 0.25: 1 - 0.375
  });

  it('ImageLocality prefers nodes that have the image', () => {
    const p = imageLocality();
    const has = nodeInfo(makeNode('h', { images: [{ names: ['docker.io/library/big:1'], sizeBytes: 500 * 1024 * 1024 }] }));
    const lacks = nodeInfo(makeNode('l'));
    const pod = pi(makePod('a', { spec: { containers: [{ name: 'c', image: 'docker.io/library/big:1' }] } }));
    const v = viewOf([has, lacks]);
    expect(p.score(state(), pod, has, v)).to.be.greaterThan(0);
    expect(p.score(state(), pod, lacks, v)).to.equal(0);
  });
});
