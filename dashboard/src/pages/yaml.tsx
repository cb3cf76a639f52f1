// Any object as YAML, editable: the edit is sent as a server-side apply (field manager
// skiff-dashboard), first as a dry run whose answer is diffed against the live object, so the
// user sees what the server would store before submitting.
import { dump, load } from 'js-yaml';
import { useEffect, useState } from 'preact/hooks';
import { type KObject, objectPath, request, serverSideApply } from '../api.ts';
import { type DiffLine, lineDiff } from '../diff.ts';
import { useCan } from '../hooks.ts';
import { ErrorBox } from '../ui.tsx';

/** What a user edits: no managedFields or status, which apply does not take. */
export function editable(o: KObject): string {
  const copy = structuredClone(o);
  delete copy.metadata.managedFields;
  delete copy.status;
  return dump(copy, { noRefs: true, lineWidth: 120 });
}

export function YamlPage({ apiVersion, resource, namespace, name }: { apiVersion: string; resource: string; namespace?: string; name: string }) {
  const path = objectPath(apiVersion, resource, namespace, name);
  const [live, setLive] = useState<KObject>();
  const [text, setText] = useState('');
  const [diff, setDiff] = useState<DiffLine[]>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const canApply = useCan({ verb: 'patch', resource, namespace, name, group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '' });
  const reload = () =>
    request('GET', path).then(
      (o: KObject) => {
        setLive(o);
        setText(editable(o));
        setDiff(undefined);
      },
      (e: unknown) => setError(e),
    );
  useEffect(() => void reload(), [path]);
  const apply = async (dryRun: boolean) => {
    setError(undefined);
    setSaved('');
    let body: KObject;
    try {
      body = load(text) as KObject;
    } catch (e) {
      setError(new Error(`not valid YAML: ${(e as Error).message}`));
      return;
    }
    delete body.metadata?.managedFields;
    delete body.metadata?.resourceVersion;
    try {
      const result = await serverSideApply(path, body, dryRun);
      if (dryRun) setDiff(lineDiff(editable(live!), editable(result)));
      else {
        setSaved(`applied: resourceVersion ${result.metadata.resourceVersion}`);
        setLive(result);
        setText(editable(result));
        setDiff(undefined);
      }
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <h1>
        {resource} {namespace ? `${namespace}/` : ''}
        {name}
      </h1>
      <ErrorBox error={error} />
      {live && (
        <>
          <label for="yaml">YAML</label>
          <textarea
            id="yaml"
            class="yaml"
            spellcheck={false}
            rows={Math.min(40, text.split('\n').length + 2)}
            value={text}
            readOnly={!canApply}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value);
              setDiff(undefined);
            }}
          />
          <div class="inline">
            {canApply && (
              <button type="button" onClick={() => void apply(true)}>
                Show diff
              </button>
            )}
            {canApply && diff && (
              <button type="button" onClick={() => void apply(false)}>
                Apply
              </button>
            )}
            <button type="button" onClick={() => void reload()}>
              Reload
            </button>
          </div>
          {diff && <DiffView diff={diff} />}
          {saved && (
            <p class="ok" role="status">
              {saved}
            </p>
          )}
        </>
      )}
    </>
  );
}

/** The changed lines of a diff, added in green and removed in red. */
export function DiffView({ diff, testId = 'diff' }: { diff: DiffLine[]; testId?: string }) {
  return (
    <pre class="diff" data-testid={testId}>
      {diff.some((d) => d.op !== ' ')
        ? diff
            .filter((d) => d.op !== ' ')
            .map((d, i) => (
              <div key={i} class={d.op === '+' ? 'add' : 'del'}>
                {d.op} {d.line}
              </div>
            ))
        : 'no changes'}
    </pre>
  );
}
