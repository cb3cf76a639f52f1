// Any resource the cluster serves (discovery: core, groups, CRDs' custom resources): a picker,
// then a live list (metadata-only watch) filtered by namespace and label selector, each row
// opening the generic detail page. What the user may list or create comes from a
// SelfSubjectRulesReview of the namespace: resources they may not list are disabled in the
// picker, and Create shows only when they may create.
import { useState } from 'preact/hooks';
import { collectionPath } from '../api.ts';
import { type ApiResource, qualifiedName } from '../discovery.ts';
import { useDiscovery, useWatch } from '../hooks.ts';
import { allows, type Rules, useRules } from '../rules.ts';
import { age, ErrorBox, href, Table } from '../ui.tsx';

/** A cluster-scoped object's namespace part in the detail route (no namespace is named "-"). */
export const NO_NAMESPACE = '-';

export const pickerValue = (r: ApiResource) => `${r.apiVersion}/${r.resource}`;

// kept while the user moves between a list and its objects
let lastNamespace = '';
let lastLabels = '';

function Picker({ resources, current, rules }: { resources: ApiResource[]; current?: ApiResource; rules?: Rules }) {
  const groups = [...new Set(resources.map((r) => r.group))];
  return (
    <label>
      Resource{' '}
      <select
        name="resource"
        aria-label="Resource"
        value={current ? pickerValue(current) : ''}
        onChange={(e) => {
          const r = resources.find((x) => pickerValue(x) === (e.target as HTMLSelectElement).value);
          if (r) location.hash = href('resources', r.apiVersion, r.resource);
        }}
      >
        <option value="" disabled>
          choose…
        </option>
        {groups.map((g) => (
          <optgroup key={g} label={g || 'core'}>
            {resources
              .filter((r) => r.group === g)
              .map((r) => {
                const denied = allows(rules, 'list', r.group, r.resource) === false;
                return (
                  <option key={pickerValue(r)} value={pickerValue(r)} disabled={denied}>
                    {qualifiedName(r)}
                    {denied ? ' (not allowed)' : ''}
                  </option>
                );
              })}
          </optgroup>
        ))}
      </select>
    </label>
  );
}

const labelText = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function ResourcesPage({ apiVersion, resource }: { apiVersion?: string; resource?: string }) {
  const discovered = useDiscovery();
  // only what can be listed and watched has a list page
  const listable = discovered.resources.filter((r) => r.verbs.includes('list') && r.verbs.includes('watch'));
  const current = listable.find((r) => r.apiVersion === apiVersion && r.resource === resource);
  // typed, then taken on Enter, Filter or leaving the field (a watch per keystroke would be waste)
  const [draft, setDraft] = useState(lastNamespace);
  const [namespace, setNamespace] = useState(lastNamespace);
  const takeNamespace = () => {
    lastNamespace = draft.trim();
    setNamespace(lastNamespace);
  };
  const [labels, setLabels] = useState(lastLabels);
  const [applied, setApplied] = useState(lastLabels);
  const rules = useRules(namespace);
  const namespaces = useWatch('/api/v1/namespaces', {}, { metadataOnly: true });
  const ns = current?.namespaced ? namespace || undefined : undefined;
  const list = useWatch(current && collectionPath(current.apiVersion, current.resource, ns), applied ? { labelSelector: applied } : {}, { metadataOnly: true });
  // shown once the rules say yes (not while they are asked, nor when they cannot tell)
  const canCreate = current && allows(rules, 'create', current.group, current.resource) === true && current.verbs.includes('create');
  return (
    <>
      <h1>{current ? `${current.kind} (${qualifiedName(current)})` : 'Resources'}</h1>
      <ErrorBox error={discovered.error} />
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          takeNamespace();
          lastLabels = labels.trim();
          setApplied(lastLabels);
        }}
      >
        <label>
          Namespace{' '}
          <input
            name="namespace"
            list="resource-namespaces"
            placeholder="all"
            value={draft}
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
            onChange={takeNamespace}
          />
          <datalist id="resource-namespaces">
            {namespaces.items.map((n) => (
              <option key={n.metadata.name} value={n.metadata.name} />
            ))}
          </datalist>
        </label>
        <Picker resources={listable} current={current} rules={rules} />
        <label>
          Labels <input name="labels" placeholder="app=web,tier!=db" value={labels} onInput={(e) => setLabels((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Filter</button>
        {canCreate && <a href={href('create', current.apiVersion, current.resource)}>Create {current.kind}</a>}
      </form>
      {apiVersion && resource && discovered.resources.length > 0 && !current && (
        <p class="error" role="alert">
          The cluster serves no resource {resource} in {apiVersion}.
        </p>
      )}
      {current && (
        <>
          <ErrorBox error={list.error} />
          <Table
            label={current.resource}
            head={[...(current.namespaced ? ['Namespace'] : []), 'Name', 'Labels', 'Age']}
            rows={list.items.map((o) => [
              ...(current.namespaced ? [o.metadata.namespace ?? ''] : []),
              <a key="n" href={href('resources', current.apiVersion, current.resource, o.metadata.namespace ?? NO_NAMESPACE, o.metadata.name)}>
                {o.metadata.name}
              </a>,
              labelText(o.metadata.labels),
              age(o.metadata.creationTimestamp),
            ])}
          />
          {list.loaded && list.items.length === 0 && !list.error && <p class="hint">None.</p>}
        </>
      )}
    </>
  );
}
