// Create (or update) objects from pasted YAML, one document or several: each is sent as a
// server-side apply, first as a dry run whose answer is diffed against what exists (nothing,
// for a new object), then for real. The resource of each document's kind comes from discovery.
import { dump, loadAll } from 'js-yaml';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type KObject, objectPath, request, serverSideApply } from '../api.ts';
import { type DiffLine, lineDiff } from '../diff.ts';
import { discoverResources, resourceFor, resourceInVersion } from '../discovery.ts';
import { ErrorBox } from '../ui.tsx';
import { DiffView, editable } from './yaml.tsx';

interface Planned {
  path: string;
  label: string;
  exists: boolean;
  diff: DiffLine[];
}

/** A starting document for a kind (from a list page's Create link). */
async function skeleton(apiVersion: string, resource: string): Promise<string> {
  const r = (await discoverResources()).find((x) => x.apiVersion === apiVersion && x.resource === resource);
  if (!r) return '';
  return dump({ apiVersion, kind: r.kind, metadata: { name: '' } }, { lineWidth: 120 });
}

/** Each document's object path, from its apiVersion, kind, namespace and name. */
async function pathsOf(docs: KObject[], namespace: string): Promise<{ doc: KObject; path: string; label: string }[]> {
  const resources = await discoverResources();
  return Promise.all(
    docs.map(async (doc, i) => {
      const where = `document ${i + 1}`;
      if (!doc?.apiVersion || !doc.kind) throw new Error(`${where}: apiVersion and kind are required`);
      if (!doc.metadata?.name) throw new Error(`${where}: metadata.name is required (apply does not take generateName)`);
      const r = resourceFor(resources, doc.apiVersion, doc.kind) ?? (await resourceInVersion(doc.apiVersion, doc.kind));
      if (!r) throw new Error(`${where}: the cluster serves no kind ${doc.kind} in ${doc.apiVersion}`);
      if (r.namespaced) doc.metadata.namespace ||= namespace;
      else delete doc.metadata.namespace;
      const ns = r.namespaced ? doc.metadata.namespace : undefined;
      return { doc, path: objectPath(doc.apiVersion, r.resource, ns, doc.metadata.name), label: `${r.resource} ${ns ? `${ns}/` : ''}${doc.metadata.name}` };
    }),
  );
}

export function CreatePage({ apiVersion, resource }: { apiVersion?: string; resource?: string }) {
  const [text, setText] = useState('');
  const [namespace, setNamespace] = useState('default');
  const [plan, setPlan] = useState<Planned[]>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  useEffect(() => {
    if (apiVersion && resource) void skeleton(apiVersion, resource).then(setText, () => undefined);
  }, [apiVersion, resource]);

  const parse = async () => {
    let docs: KObject[];
    try {
      docs = (loadAll(text) as KObject[]).filter((d) => d != null);
    } catch (e) {
      throw new Error(`not valid YAML: ${(e as Error).message}`);
    }
    if (docs.length === 0) throw new Error('nothing to create: paste one or more YAML documents');
    for (const d of docs) {
      delete d.metadata?.managedFields;
      delete d.metadata?.resourceVersion;
    }
    return pathsOf(docs, namespace.trim() || 'default');
  };

  const dryRun = async () => {
    setError(undefined);
    setDone('');
    setPlan(undefined);
    try {
      const planned: Planned[] = [];
      for (const { doc, path, label } of await parse()) {
        const live = await request<KObject>('GET', path).catch((e: unknown) => {
          if (e instanceof ApiError && e.code === 404) return undefined;
          throw e;
        });
        const result = await serverSideApply(path, doc, true);
        const after = editable(result);
        const diff = live ? lineDiff(editable(live), after) : after.split('\n').map((line): DiffLine => ({ op: '+', line }));
        planned.push({ path, label, exists: !!live, diff });
      }
      setPlan(planned);
    } catch (e) {
      setError(e);
    }
  };

  const apply = async () => {
    setError(undefined);
    try {
      const applied: string[] = [];
      for (const { doc, path, label } of await parse()) {
        const result = await serverSideApply(path, doc, false);
        applied.push(`${label} (resourceVersion ${result.metadata.resourceVersion})`);
      }
      setPlan(undefined);
      setDone(`applied: ${applied.join(', ')}`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <h1>Create from YAML</h1>
      <p class="hint">
        One or more documents (separated by <code>---</code>), applied server-side as <code>skiff-dashboard</code>: an object that exists is updated. Show diff
        runs a dry run first.
      </p>
      <label>
        Namespace for documents without one <input name="namespace" value={namespace} onInput={(e) => setNamespace((e.target as HTMLInputElement).value)} />
      </label>
      <label for="create-yaml">YAML to create</label>
      <textarea
        id="create-yaml"
        class="yaml"
        spellcheck={false}
        rows={Math.max(12, Math.min(40, text.split('\n').length + 2))}
        value={text}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          setPlan(undefined);
        }}
      />
      <div class="inline">
        <button type="button" onClick={() => void dryRun()}>
          Show diff
        </button>
        {plan && (
          <button type="button" onClick={() => void apply()}>
            Apply
          </button>
        )}
      </div>
      <ErrorBox error={error} />
      {plan?.map((p) => (
        <section key={p.path} aria-label={p.label}>
          <h2>
            {p.label} {p.exists ? '(changes)' : '(new)'}
          </h2>
          <DiffView diff={p.diff} />
        </section>
      ))}
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </>
  );
}
