// The kubelet's /metrics/resource text (Prometheus exposition format) as samples per node,
// pod and container, reading the names metrics-server reads; other families are skipped.
// A sample without a timestamp is taken at the time of the scrape.

export interface Point {
  /** cumulative CPU time, core-seconds */
  cpuSeconds: number;
  /** working set, bytes */
  memoryBytes: number;
  /** when the kubelet took the sample, ms since the epoch */
  timestampMs: number;
  /** container start, ms since the epoch: a new one means a restarted container, whose counter starts over */
  startTimeMs?: number;
}

export interface NodeScrape {
  node?: Point;
  /** "namespace/pod" -> container name -> point */
  pods: Map<string, Map<string, Point>>;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

export function parseSample(line: string): Sample | undefined {
  if (!line || line.startsWith('#')) return undefined;
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  let name: string;
  let labels: Record<string, string> = {};
  let rest: string;
  if (brace >= 0 && (space < 0 || brace < space)) {
    const close = line.lastIndexOf('}');
    if (close < brace) return undefined;
    name = line.slice(0, brace);
    labels = parseLabels(line.slice(brace + 1, close));
    rest = line.slice(close + 1);
  } else {
    if (space < 0) return undefined;
    name = line.slice(0, space);
    rest = line.slice(space);
  }
  const [v, ts] = rest.trim().split(/\s+/);
  const value = Number(v);
  if (v === undefined || Number.isNaN(value)) return undefined;
  return { name, labels, value, ...(ts ? { timestampMs: Number(ts) } : {}) };
}

export function decodeResourceMetrics(text: string, scrapedAtMs: number): NodeScrape {
  const out: NodeScrape = { pods: new Map() };
  const node: Partial<Point> = {};
  const container = (s: Sample): Partial<Point> | undefined => {
    const { namespace, pod, container: name } = s.labels;
    if (!namespace || !pod || !name) return undefined;
    const key = `${namespace}/${pod}`;
    let containers = out.pods.get(key);
    if (!containers) {
      containers = new Map();
      out.pods.set(key, containers);
    }
    let p = containers.get(name);
    if (!p) {
      p = { cpuSeconds: Number.NaN, memoryBytes: Number.NaN, timestampMs: scrapedAtMs };
      containers.set(name, p as Point);
    }
    return p;
  };
  for (const line of text.split('\n')) {
    const s = parseSample(line);
    if (!s) continue;
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        node.cpuSeconds = s.value;
        node.timestampMs = s.timestampMs ?? scrapedAtMs;
        break;
      case 'node_memory_working_set_bytes':
        node.memoryBytes = s.value;
        break;
      case 'container_cpu_usage_seconds_total': {
        const p = container(s);
        if (p) {
          p.cpuSeconds = s.value;
          p.timestampMs = s.timestampMs ?? scrapedAtMs;
        }
        break;
      }
      case 'container_memory_working_set_bytes': {
        const p = container(s);
        if (p) p.memoryBytes = s.value;
        break;
      }
      case 'container_start_time_seconds': {
        const p = container(s);
        if (p) p.startTimeMs = Math.round(s.value * 1000);
        break;
      }
    }
  }
  if (node.cpuSeconds !== undefined && node.memoryBytes !== undefined) out.node = node as Point;
  // a container the kubelet gave only one of the two figures is not reported (as metrics-server drops it)
  for (const [key, containers] of out.pods) {
    for (const [name, p] of containers) if (Number.isNaN(p.cpuSeconds) || Number.isNaN(p.memoryBytes)) containers.delete(name);
    if (!containers.size) out.pods.delete(key);
  }
  return out;
}
