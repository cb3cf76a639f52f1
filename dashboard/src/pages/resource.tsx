// One object of any resource: its YAML, editable with a diff and server-side apply (the YAML
// page), and Delete when a SelfSubjectAccessReview allows it. Secrets get their own page,
// which keeps values hidden.
import { useState } from 'preact/hooks';
import { objectPath, request } from '../api.ts';
import { useCan } from '../hooks.ts';
import { ErrorBox, href } from '../ui.tsx';
import { NO_NAMESPACE } from './resources.tsx';
import { SecretPage } from './secret.tsx';
import { YamlPage } from './yaml.tsx';

export function ResourcePage({ apiVersion, resource, namespace, name }: { apiVersion: string; resource: string; namespace: string; name: string }) {
  const ns = namespace === NO_NAMESPACE ? undefined : namespace;
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const canDelete = useCan({ verb: 'delete', group, resource, namespace: ns, name });
  const [error, setError] = useState<unknown>();
  const back = href('resources', apiVersion, resource);
  const remove = () => {
    if (!confirm(`Delete ${resource} ${ns ? `${ns}/` : ''}${name}?`)) return;
    request('DELETE', objectPath(apiVersion, resource, ns, name)).then(
      () => {
        location.hash = back;
      },
      (e: unknown) => setError(e),
    );
  };
  return (
    <>
      <p class="inline">
        <a href={back}>All {resource}</a>
        {canDelete && (
          <button type="button" class="danger" onClick={remove}>
            Delete
          </button>
        )}
      </p>
      <ErrorBox error={error} />
      {group === '' && resource === 'secrets' && ns ? (
        <SecretPage namespace={ns} name={name} />
      ) : (
        <YamlPage apiVersion={apiVersion} resource={resource} namespace={ns} name={name} />
      )}
    </>
  );
}
