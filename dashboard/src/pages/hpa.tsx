// HorizontalPodAutoscalers (autoscaling/v2): targets against current metrics, replicas, the
// conditions, and the replica count's history as seen by this page (watch events).
import { useEffect, useState } from 'preact/hooks';
import { collectionPath, type KObject } from '../api.ts';
import { useWatch } from '../hooks.ts';
import { age, ErrorBox, href, Section, Sparkline, Table } from '../ui.tsx';

const PATH = (ns?: string) => collectionPath('autoscaling/v2', 'horizontalpodautoscalers', ns);

/** "cpu 37% / 50%" from a spec metric and its status counterpart. */
function metricLine(spec: any, current: any): [string, string, string] {
  const source = spec?.resource ?? spec?.containerResource ?? spec?.pods ?? spec?.object ?? spec?.external ?? {};
  const name = source.name ?? source.metric?.name ?? spec?.type;
  const target = source.target ?? {};
  const cur = (current?.resource ?? current?.containerResource ?? current?.pods ?? current?.object ?? current?.external)?.current ?? {};
  const show = (v: any, pct: number | undefined) => (pct !== undefined ? `${pct}%` : (v?.averageValue ?? v?.value ?? '—'));
  return [`${spec?.type} ${name}`, show(cur, cur.averageUtilization), show(target, target.averageUtilization)];
}

export function HpaList() {
  const list = useWatch(PATH());
  return (
    <>
      <h1>HorizontalPodAutoscalers</h1>
      <ErrorBox error={list.error} />
      <Table
        label="hpas"
        head={['Namespace', 'Name', 'Reference', 'Replicas', 'Min', 'Max', 'Age']}
        rows={list.items.map((h) => [
          h.metadata.namespace ?? '',
          <a key="n" href={href('hpas', h.metadata.namespace ?? '', h.metadata.name)}>
            {h.metadata.name}
          </a>,
          `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`,
          h.status?.currentReplicas ?? 0,
          h.spec?.minReplicas ?? 1,
          h.spec?.maxReplicas,
          age(h.metadata.creationTimestamp),
        ])}
      />
    </>
  );
}

interface Sample {
  at: number;
  current: number;
  desired: number;
}

export function HpaPage({ namespace, name }: { namespace: string; name: string }) {
  const watched = useWatch(PATH(namespace), { fieldSelector: `metadata.name=${name}` });
  const h: KObject | undefined = watched.items[0];
  const [history, setHistory] = useState<Sample[]>([]);
  const current = h?.status?.currentReplicas;
  const desired = h?.status?.desiredReplicas;
  useEffect(() => {
    if (current === undefined) return;
    setHistory((s) => {
      const last = s.at(-1);
      if (last && last.current === current && last.desired === desired) return s;
      return [...s, { at: Date.now(), current, desired: desired ?? current }].slice(-100);
    });
  }, [current, desired]);
  if (watched.error) return <ErrorBox error={watched.error} />;
  if (!h) return <p class="loading">{watched.loaded ? `HorizontalPodAutoscaler ${namespace}/${name} not found` : 'Loading…'}</p>;
  const ref = h.spec?.scaleTargetRef ?? {};
  const specMetrics: any[] = h.spec?.metrics ?? [];
  const currentMetrics: any[] = h.status?.currentMetrics ?? [];
  return (
    <>
      <h1>
        HorizontalPodAutoscaler {namespace}/{name}
      </h1>
      <p>
        Scales {ref.kind === 'Deployment' ? <a href={href('deployments', namespace, ref.name)}>{`${ref.kind}/${ref.name}`}</a> : `${ref.kind}/${ref.name}`}{' '}
        between {h.spec?.minReplicas ?? 1} and {h.spec?.maxReplicas} replicas · now <strong data-testid="current-replicas">{current ?? 0}</strong>, desired{' '}
        <strong data-testid="desired-replicas">{desired ?? 0}</strong>
      </p>
      <Section title="Metrics">
        <Table label="metrics" head={['Metric', 'Current', 'Target']} rows={specMetrics.map((m, i) => metricLine(m, currentMetrics[i]))} />
      </Section>
      <Section title="Replica history">
        <Sparkline values={history.map((s) => s.current)} max={h.spec?.maxReplicas ?? 1} label="replicas over time" />
        <Table
          label="replica history"
          head={['Time', 'Current', 'Desired']}
          rows={history.map((s) => [new Date(s.at).toLocaleTimeString(), s.current, s.desired])}
        />
      </Section>
      <Section title="Conditions">
        <Table
          label="conditions"
          head={['Type', 'Status', 'Reason', 'Message']}
          rows={(h.status?.conditions ?? []).map((c: any) => [c.type, c.status, c.reason ?? '', c.message ?? ''])}
        />
      </Section>
    </>
  );
}
