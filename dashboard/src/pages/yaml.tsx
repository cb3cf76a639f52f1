// Any object as YAML, editable: the edit is sent as a server-side apply (field manager
// skiff-dashboard), first as a dry run whose answer is diffed against the live object, so the
// user sees what the server would store before submitting.
import { dump, load } from 'js-yaml';
import { useEffect, useState } from 'preact/hooks';
import { type KObject, objectPath, request } from '../api.ts';
import { useCan } from '../hooks.ts';
import { lineDiff } from '../diff.ts';
import { ErrorBox } from '../ui.tsx';

const FIELD_MANAGER = 'skiff-dashboard';

/** What a user edits: no managedFields or status, which apply does not take. */
function editable(o: KObject): string {
  const copy = structuredClone(o);
  delete copy.metadata.managedFields;
  delete copy.status;
  return dump(copy, { noRefs: true, lineWidth: 120 });
}

export function YamlPage({ apiVersion, resource, namespace, name }: { apiVersion: string; resource: string; namespace?: string; name: string }) {
  const path = objectPath(apiVersion, resource, namespace, name);
  const [live, setLive] = useState<KObject>();
  const [text, setText] = useState('');
  const [diff, setDiff] = useState<{ op: ' ' | '+' | '-'; line: string }[]>();
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
    const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) });
    try {
      const result: KObject = await request('PATCH', `${path}?${q}`, body, 'application/apply-patch+yaml');
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
          {diff && (
            <pre class="diff" data-testid="diff">
              {diff.some((d) => d.op !== ' ')
                ? diff
                    .filter((d) => d.op !== ' ')
                    .map((d) => (
                      <div key={`${d.op}${d.line}`} class={d.op === '+' ? 'add' : 'del'}>
                        {d.op} {d.line}
                      </div>
                    ))
                : 'no changes'}
            </pre>
          )}
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
