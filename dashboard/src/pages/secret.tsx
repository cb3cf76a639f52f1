// A Secret: its keys, each value hidden until the user clicks it. Nothing of the Secret is
// fetched unless a SelfSubjectAccessReview says the user may `get` it; a user who may not
// is told so, and the page asks the server nothing more.
import { useEffect, useState } from 'preact/hooks';
import { type KObject, objectPath, request } from '../api.ts';
import { useCan } from '../hooks.ts';
import { ErrorBox, Table } from '../ui.tsx';
import { YamlPage } from './yaml.tsx';

/** A data value as text (UTF-8; other bytes show as U+FFFD). */
function decode(base64: string): string {
  const bin = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function HiddenValue({ name, value }: { name: string; value: string }) {
  const [shown, setShown] = useState(false);
  return shown ? (
    <>
      <code class="secret-value" data-testid={`secret-value-${name}`}>
        {decode(value)}
      </code>{' '}
      <button type="button" onClick={() => setShown(false)}>
        Hide {name}
      </button>
    </>
  ) : (
    <button type="button" onClick={() => setShown(true)}>
      Show {name}
    </button>
  );
}

export function SecretPage({ namespace, name }: { namespace: string; name: string }) {
  const canGet = useCan({ verb: 'get', resource: 'secrets', namespace, name });
  const [secret, setSecret] = useState<KObject>();
  const [error, setError] = useState<unknown>();
  const [yaml, setYaml] = useState(false);
  useEffect(() => {
    setSecret(undefined);
    if (canGet) request('GET', objectPath('v1', 'secrets', namespace, name)).then(setSecret, setError);
  }, [canGet, namespace, name]);
  if (yaml) return <YamlPage apiVersion="v1" resource="secrets" namespace={namespace} name={name} />;
  return (
    <>
      <h1>
        Secret {namespace}/{name}
      </h1>
      {canGet === undefined && <p class="loading">Checking access…</p>}
      {canGet === false && (
        <p class="hint" role="note">
          Your token may not read this Secret (RBAC: get secrets in {namespace}); its values are not fetched.
        </p>
      )}
      <ErrorBox error={error} />
      {secret && (
        <>
          <p>
            Type <code>{secret.type ?? 'Opaque'}</code>
          </p>
          <Table
            label="secret data"
            head={['Key', 'Bytes', 'Value']}
            rows={Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [
              k,
              atob(v).length,
              <HiddenValue key={k} name={k} value={v} />,
            ])}
          />
          <button type="button" onClick={() => setYaml(true)}>
            Show YAML (with the values)
          </button>
        </>
      )}
    </>
  );
}
