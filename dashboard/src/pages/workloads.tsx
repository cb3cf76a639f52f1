// Workload lists, filtered by namespace and label selector (both sent to the server: the
// watch itself carries the labelSelector).
import { useState } from 'preact/hooks';
import { collectionPath, type KObject } from '../api.ts';
import { useWatch } from '../hooks.ts';
import { age, ErrorBox, href, Table } from '../ui.tsx';

interface Kind {
  label: string;
  apiVersion: string;
  resource: string;
  columns: string[];
  row: (o: KObject) => (string | number)[];
}

const ready = (o: KObject) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`;

export const KINDS: Kind[] = [
  {
    label: 'Deployments',
    apiVersion: 'apps/v1',
    resource: 'deployments',
    columns: ['Ready', 'Up-to-date', 'Available'],
    row: (o) => [ready(o), o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0],
  },
  {
    label: 'ReplicaSets',
    apiVersion: 'apps/v1',
    resource: 'replicasets',
    columns: ['Desired', 'Current', 'Ready'],
    row: (o) => [o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0],
  },
  { label: 'StatefulSets', apiVersion: 'apps/v1', resource: 'statefulsets', columns: ['Ready'], row: (o) => [ready(o)] },
  {
    label: 'DaemonSets',
    apiVersion: 'apps/v1',
    resource: 'daemonsets',
    columns: ['Desired', 'Ready'],
    row: (o) => [o.status?.desiredNumberScheduled ?? 0, o.status?.numberReady ?? 0],
  },
  {
    label: 'Jobs',
    apiVersion: 'batch/v1',
    resource: 'jobs',
    columns: ['Completions'],
    row: (o) => [`${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`],
  },
  {
    label: 'CronJobs',
    apiVersion: 'batch/v1',
    resource: 'cronjobs',
    columns: ['Schedule', 'Active'],
    row: (o) => [o.spec?.schedule ?? '', (o.status?.active ?? []).length],
  },
  {
    label: 'Pods',
    apiVersion: 'v1',
    resource: 'pods',
    columns: ['Phase', 'Restarts', 'Node'],
    row: (o) => [o.status?.phase ?? '', restarts(o), o.spec?.nodeName ?? ''],
  },
];

const restarts = (p: KObject) => (p.status?.containerStatuses ?? []).reduce((n: number, c: { restartCount?: number }) => n + (c.restartCount ?? 0), 0);

function link(kind: Kind, o: KObject) {
  const ns = o.metadata.namespace ?? '';
  if (kind.resource === 'deployments') return <a href={href('deployments', ns, o.metadata.name)}>{o.metadata.name}</a>;
  if (kind.resource === 'pods') return <a href={href('pods', ns, o.metadata.name)}>{o.metadata.name}</a>;
  return o.metadata.name;
}

export function Workloads() {
  const [kindName, setKindName] = useState('deployments');
  // typed, then taken on Enter, Filter or leaving the field: the submit's re-render would
  // otherwise put the old value back before the change event
  const [draft, setDraft] = useState('');
  const [namespace, setNamespace] = useState('');
  const [labels, setLabels] = useState('');
  const [applied, setApplied] = useState('');
  const kind = KINDS.find((k) => k.resource === kindName)!;
  const namespaces = useWatch('/api/v1/namespaces');
  const list = useWatch(collectionPath(kind.apiVersion, kind.resource, namespace || undefined), applied ? { labelSelector: applied } : {});
  return (
    <>
      <h1>Workloads</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setNamespace(draft.trim());
          setApplied(labels.trim());
        }}
      >
        <label>
          Kind{' '}
          <select name="kind" value={kindName} onChange={(e) => setKindName((e.target as HTMLSelectElement).value)}>
            {KINDS.map((k) => (
              <option key={k.resource} value={k.resource}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Namespace{' '}
          <input
            name="namespace"
            list="namespace-names"
            placeholder="all"
            value={draft}
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
            onChange={() => setNamespace(draft.trim())}
          />
          <datalist id="namespace-names">
            {namespaces.items.map((n) => (
              <option key={n.metadata.name} value={n.metadata.name} />
            ))}
          </datalist>
        </label>
        <label>
          Labels <input name="labels" placeholder="app=web,tier!=db" value={labels} onInput={(e) => setLabels((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} />
      <Table
        label={kind.label}
        head={['Namespace', 'Name', ...kind.columns, 'Age']}
        rows={list.items.map((o) => [o.metadata.namespace ?? '', link(kind, o), ...kind.row(o), age(o.metadata.creationTimestamp)])}
      />
    </>
  );
}
