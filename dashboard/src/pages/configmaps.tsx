// ConfigMaps of a namespace (or all), each opening its YAML page.
import { useState } from 'preact/hooks';
import { collectionPath } from '../api.ts';
import { useWatch } from '../hooks.ts';
import { age, ErrorBox, href, Table } from '../ui.tsx';

export function ConfigMapsPage() {
  const [namespace, setNamespace] = useState('');
  const list = useWatch(collectionPath('v1', 'configmaps', namespace || undefined));
  return (
    <>
      <h1>ConfigMaps</h1>
      <label>
        Namespace <input name="namespace" placeholder="all" value={namespace} onChange={(e) => setNamespace((e.target as HTMLInputElement).value.trim())} />
      </label>
      <ErrorBox error={list.error} />
      <Table
        label="configmaps"
        head={['Namespace', 'Name', 'Keys', 'Age']}
        rows={list.items.map((o) => [
          o.metadata.namespace ?? '',
          <a key="n" href={href('configmaps', o.metadata.namespace ?? '', o.metadata.name)}>
            {o.metadata.name}
          </a>,
          Object.keys(o.data ?? {}).length,
          age(o.metadata.creationTimestamp),
        ])}
      />
    </>
  );
}
