// `make bench`: the hot paths of the apimachinery layer. Nanoseconds per call and bytes
// allocated per call for Quantity reads (as the scheduler reads requests) and for selector
// matching (as the watch cache filters objects), with the selector compiled once.
import { millisOf, parseQuantity, unitsOf } from '../src/apimachinery/quantity.ts';
import { parseSelector, selectorFromObject } from '../src/apimachinery/label-selector.ts';

function measure(name: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < 10_000; i++) fn(i);
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < n; i++) if (fn(i)) sink++;
  const ns = Number(process.hrtime.bigint() - start) / n;
  const bytes = (process.memoryUsage().heapUsed - heap) / n;
  console.log(`${name.padEnd(48)} ${ns.toFixed(1).padStart(8)} ns/op ${bytes.toFixed(1).padStart(8)} B/op (${sink})`);
}

const requests = ['100m', '250m', '1', '1.5', '128Mi', '1Gi', '2Gi', '500M'];
const labels: Record<string, string>[] = [
  { app: 'web', tier: 'front', env: 'prod', 'pod-template-hash': 'abc123' },
  { app: 'db', tier: 'back', env: 'prod' },
  { app: 'web', tier: 'front', env: 'staging', canary: 'true' },
];
const stringSelector = parseSelector('app=web,tier in (front,edge),!canary,env!=dev');
const objectSelector = selectorFromObject({
  matchLabels: { app: 'web' },
  matchExpressions: [
    { key: 'tier', operator: 'In', values: ['front', 'edge'] },
    { key: 'canary', operator: 'DoesNotExist' },
  ],
});

const n = Number(process.env.SKIFF_BENCH_OPS ?? 2_000_000);
measure('millisOf (cpu request, memoised)', n, (i) => millisOf(requests[i & 7]));
measure('unitsOf (memory request, memoised)', n, (i) => unitsOf(requests[i & 7]));
measure('parseQuantity + cmp', n, (i) => parseQuantity(requests[i & 7]!).cmp(parseQuantity(requests[(i + 1) & 7]!)));
measure('Selector.matches (string syntax, 4 requirements)', n, (i) => stringSelector.matches(labels[i % 3]));
measure('Selector.matches (metav1.LabelSelector)', n, (i) => objectSelector.matches(labels[i % 3]));
measure('parseSelector (memoised text)', n, () => parseSelector('app=web,tier in (front,edge)'));
