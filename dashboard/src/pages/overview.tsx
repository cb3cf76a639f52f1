// The cluster at a glance: nodes and their Ready condition, CPU and memory in use against
// allocatable (metrics.k8s.io) with a short history, pods by phase, recent Warning events.
import { useEffect, useState } from 'preact/hooks';
import { describeError, get, type KObject } from '../api.ts';
import { useWatch } from '../hooks.ts';
import { Bar, bytes, condition, cpuMillis, ErrorBox, mib, Section, Sparkline, Table, age } from '../ui.tsx';

/** metrics.k8s.io has no watch: it is read once per metrics-server scrape (its --metric-resolution, 15 s). */
const METRICS_PERIOD_MS = 15_000;
const HISTORY = 40;

interface Usage {
  cpu: number;
  memory: number;
}

function useNodeMetrics(): { usage: Map<string, Usage[]>; error?: unknown } {
  const [state, setState] = useState<{ usage: Map<string, Usage[]>; error?: unknown }>({ usage: new Map() });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const list = await get('/apis/metrics.k8s.io/v1beta1/nodes');
        if (!live) return;
        setState((s) => {
          const usage = new Map(s.usage);
          for (const m of list.items ?? []) {
            const sample = { cpu: cpuMillis(m.usage?.cpu), memory: bytes(m.usage?.memory) };
            usage.set(m.metadata.name, [...(usage.get(m.metadata.name) ?? []), sample].slice(-HISTORY));
          }
          return { usage };
        });
      } catch (error) {
        if (live) setState((s) => ({ ...s, error }));
      }
      if (live) timer = setTimeout(() => void read(), METRICS_PERIOD_MS);
    };
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  return state;
}

function Nodes({ nodes }: { nodes: KObject[] }) {
  const metrics = useNodeMetrics();
  return (
    <>
      {metrics.error !== undefined && <ErrorBox error={new Error(`CPU and memory (metrics.k8s.io): ${describeError(metrics.error)}`)} />}
      <Table
        label="nodes"
        head={['Node', 'Ready', 'CPU', '', 'Memory', '']}
        rows={nodes.map((n) => {
          const ready = condition(n, 'Ready')?.status === 'True';
          const history = metrics.usage.get(n.metadata.name) ?? [];
          const last = history.at(-1);
          const cpuTotal = cpuMillis(n.status?.allocatable?.cpu);
          const memTotal = bytes(n.status?.allocatable?.memory);
          return [
            n.metadata.name,
            <span key="r" class={ready ? 'ok' : 'bad'} data-ready={String(ready)}>
              {ready ? 'Ready' : 'NotReady'}
            </span>,
            last ? (
              <span key="c" data-cpu-millis={last.cpu}>
                {last.cpu}m / {cpuTotal}m <Bar used={last.cpu} total={cpuTotal} label="CPU in use" />
              </span>
            ) : (
              'waiting for metrics…'
            ),
            <Sparkline key="cs" values={history.map((u) => u.cpu)} max={cpuTotal} label={`CPU over the last ${history.length} samples`} />,
            last ? (
              <span key="m">
                {mib(last.memory)} / {mib(memTotal)} <Bar used={last.memory} total={memTotal} label="memory in use" />
              </span>
            ) : (
              ''
            ),
            <Sparkline key="ms" values={history.map((u) => u.memory)} max={memTotal} label="memory history" />,
          ];
        })}
      />
    </>
  );
}

export function Overview() {
  const nodes = useWatch('/api/v1/nodes');
  const pods = useWatch('/api/v1/pods');
  const events = useWatch('/api/v1/events', { fieldSelector: 'type=Warning' });
  const phases = new Map<string, number>();
  for (const p of pods.items) phases.set(p.status?.phase ?? 'Unknown', (phases.get(p.status?.phase ?? 'Unknown') ?? 0) + 1);
  const warnings = [...events.items]
    .sort((a, b) => Date.parse(b.lastTimestamp ?? b.eventTime ?? '') - Date.parse(a.lastTimestamp ?? a.eventTime ?? ''))
    .slice(0, 15);
  return (
    <>
      <h1>Overview</h1>
      <Section title="Nodes">
        <ErrorBox error={nodes.error} />
        {!nodes.error && <Nodes nodes={nodes.items} />}
      </Section>
      <Section title="Pods by phase">
        <ErrorBox error={pods.error} />
        <ul class="phases" aria-label="pods by phase">
          {['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'].map((phase) => (
            <li key={phase} data-phase={phase}>
              <span class="count">{phases.get(phase) ?? 0}</span> {phase}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Recent warnings">
        <ErrorBox error={events.error} />
        <Table
          label="warning events"
          head={['Age', 'Object', 'Reason', 'Message']}
          rows={warnings.map((e) => [
            age(e.lastTimestamp ?? e.eventTime),
            `${e.involvedObject?.kind}/${e.involvedObject?.namespace ? `${e.involvedObject.namespace}/` : ''}${e.involvedObject?.name}`,
            e.reason,
            e.message,
          ])}
        />
      </Section>
    </>
  );
}
