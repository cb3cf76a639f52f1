// /metrics/resource: the Summary's CPU and memory as the Prometheus text the kubelet's
// resource metrics collector writes and metrics-server reads, each sample with the time it
// was taken (milliseconds). Cumulative CPU in core-seconds, working sets in bytes;
// scrape_error is 1 when collecting the Summary failed.
import type { Summary } from './summary.ts';

const FAMILIES: [name: string, type: 'counter' | 'gauge', help: string][] = [
  ['container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds'],
  ['container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes'],
  ['container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds'],
  ['node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds'],
  ['node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes'],
  ['pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds'],
  ['pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes'],
  ['scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise'],
];

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const ms = (iso: string | undefined) => (iso ? new Date(iso).getTime() : undefined);

export function resourceMetricsText(summary: Summary | undefined): string {
  const samples = new Map<string, string[]>(FAMILIES.map(([n]) => [n, []]));
  const add = (name: string, labels: Record<string, string>, value: number | undefined, atIso?: string) => {
    if (value === undefined || !Number.isFinite(value)) return;
    const at = ms(atIso);
    samples.get(name)!.push(`${name}${labelText(labels)} ${value}${at !== undefined ? ` ${at}` : ''}`);
  };
  if (summary) {
    const { node } = summary;
    add('node_cpu_usage_seconds_total', {}, node.cpu?.usageCoreNanoSeconds !== undefined ? node.cpu.usageCoreNanoSeconds / 1e9 : undefined, node.cpu?.time);
    add('node_memory_working_set_bytes', {}, node.memory?.workingSetBytes, node.memory?.time);
    for (const pod of summary.pods) {
      const podLabels = { namespace: pod.podRef.namespace, pod: pod.podRef.name };
      add(
        'pod_cpu_usage_seconds_total',
        podLabels,
        pod.cpu?.usageCoreNanoSeconds !== undefined ? pod.cpu.usageCoreNanoSeconds / 1e9 : undefined,
        pod.cpu?.time,
      );
      add('pod_memory_working_set_bytes', podLabels, pod.memory?.workingSetBytes, pod.memory?.time);
      for (const c of pod.containers) {
        const labels = { container: c.name, ...podLabels };
        add('container_cpu_usage_seconds_total', labels, c.cpu?.usageCoreNanoSeconds !== undefined ? c.cpu.usageCoreNanoSeconds / 1e9 : undefined, c.cpu?.time);
        add('container_memory_working_set_bytes', labels, c.memory?.workingSetBytes, c.memory?.time);
        const start = ms(c.startTime);
        if (start !== undefined) add('container_start_time_seconds', labels, start / 1000, c.cpu?.time);
      }
    }
  }
  add('scrape_error', {}, summary ? 0 : 1);
  const out: string[] = [];
  for (const [name, type, help] of FAMILIES) {
    out.push(`# HELP ${name} [STABLE] ${help}`, `# TYPE ${name} ${type}`, ...samples.get(name)!);
  }
  return `${out.join('\n')}\n`;
}
