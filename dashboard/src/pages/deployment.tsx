// A Deployment: its rollout as it happens (each ReplicaSet's revision, image and counts),
// its pods, and the scale, image, restart and rollback actions, shown only when RBAC allows.
import { useState } from 'preact/hooks';
import { collectionPath, type KObject, objectPath, request } from '../api.ts';
import { useCan, useWatch } from '../hooks.ts';
import { age, condition, ErrorBox, href, Section, Table } from '../ui.tsx';

const REVISION = 'deployment.kubernetes.io/revision';
const revision = (o: KObject) => Number(o.metadata.annotations?.[REVISION] ?? 0);
const images = (o: KObject) => (o.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image).join(', ');
const ownedBy = (o: KObject, uids: Set<string>) => (o.metadata.ownerReferences ?? []).some((r) => r.controller && uids.has(r.uid));

/** Where the rollout is, in kubectl rollout status's words. */
export function rolloutState(d: KObject): string {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return 'waiting for the controller';
  if (condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded') return 'failed: progress deadline exceeded';
  if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} new replicas updated`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return `${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas pending termination`;
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return `${s.availableReplicas ?? 0} of ${s.updatedReplicas ?? 0} updated replicas available`;
  return 'complete';
}

function Actions({ d, rsets }: { d: KObject; rsets: KObject[] }) {
  const ns = d.metadata.namespace!;
  const name = d.metadata.name;
  const path = objectPath('apps/v1', 'deployments', ns, name);
  const canScale = useCan({ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: ns, name });
  const canPatch = useCan({ verb: 'patch', group: 'apps', resource: 'deployments', namespace: ns, name });
  const canDelete = useCan({ verb: 'delete', group: 'apps', resource: 'deployments', namespace: ns, name });
  const [replicas, setReplicas] = useState(String(d.spec?.replicas ?? 1));
  const containers: { name: string; image: string }[] = d.spec?.template?.spec?.containers ?? [];
  const [image, setImage] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const act = (what: string, f: () => Promise<unknown>) => {
    setError(undefined);
    setDone('');
    f().then(
      () => setDone(what),
      (e) => setError(e),
    );
  };
  const scale = () =>
    act(`scaled to ${replicas}`, () => request('PATCH', `${path}/scale`, { spec: { replicas: Number(replicas) } }, 'application/merge-patch+json'));
  const setImages = () =>
    act('image set', () =>
      request(
        'PATCH',
        path,
        { spec: { template: { spec: { containers: containers.map((c) => ({ name: c.name, image: image[c.name] ?? c.image })) } } } },
        'application/strategic-merge-patch+json',
      ),
    );
  const restart = () =>
    act('restarted', () =>
      request(
        'PATCH',
        path,
        { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } },
        'application/strategic-merge-patch+json',
      ),
    );
  // kubectl rollout undo: the template of the previous revision's ReplicaSet, without its hash label
  const previous = rsets
    .filter((r) => revision(r) < revision(d))
    .sort((a, b) => revision(b) - revision(a))
    .at(0);
  const rollback = () =>
    act(`rolled back to revision ${previous ? revision(previous) : ''}`, async () => {
      if (!previous) throw new Error('no previous revision to roll back to');
      const template = structuredClone(previous.spec.template);
      delete template.metadata?.labels?.['pod-template-hash'];
      return request('PATCH', path, [{ op: 'replace', path: '/spec/template', value: template }], 'application/json-patch+json');
    });
  const remove = () => {
    if (confirm(`Delete deployment ${ns}/${name}?`)) act('deleted', () => request('DELETE', path));
  };
  return (
    <Section title="Actions">
      {canScale && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            scale();
          }}
        >
          <label>
            Replicas <input name="replicas" type="number" min={0} value={replicas} onInput={(e) => setReplicas((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Scale</button>
        </form>
      )}
      {canPatch && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            setImages();
          }}
        >
          {containers.map((c) => (
            <label key={c.name}>
              Image of {c.name}{' '}
              <input
                name={`image-${c.name}`}
                value={image[c.name] ?? c.image}
                onInput={(e) => setImage({ ...image, [c.name]: (e.target as HTMLInputElement).value })}
              />
            </label>
          ))}
          <button type="submit">Set image</button>
          <button type="button" onClick={restart}>
            Restart
          </button>
          <button type="button" onClick={rollback} disabled={!previous}>
            Roll back{previous ? ` to revision ${revision(previous)}` : ''}
          </button>
        </form>
      )}
      {canDelete && (
        <button type="button" class="danger" onClick={remove}>
          Delete
        </button>
      )}
      {canScale === false && canPatch === false && <p class="hint">Your token may only view this Deployment.</p>}
      <ErrorBox error={error} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </Section>
  );
}

export function DeploymentPage({ namespace, name }: { namespace: string; name: string }) {
  const deps = useWatch(collectionPath('apps/v1', 'deployments', namespace), { fieldSelector: `metadata.name=${name}` });
  const d = deps.items[0];
  const allSets = useWatch(collectionPath('apps/v1', 'replicasets', namespace));
  const allPods = useWatch(collectionPath('v1', 'pods', namespace));
  if (deps.error) return <ErrorBox error={deps.error} />;
  if (!d) return <p class="loading">{deps.loaded ? `Deployment ${namespace}/${name} not found` : 'Loading…'}</p>;
  const rsets = allSets.items.filter((r) => ownedBy(r, new Set([d.metadata.uid!]))).sort((a, b) => revision(b) - revision(a));
  const pods = allPods.items.filter((p) => ownedBy(p, new Set(rsets.map((r) => r.metadata.uid!))));
  const state = rolloutState(d);
  return (
    <>
      <h1>
        Deployment {namespace}/{name}
      </h1>
      <p>
        Revision <span data-testid="revision">{revision(d)}</span> · image <code data-testid="image">{images(d)}</code> · rollout{' '}
        <strong data-testid="rollout-state" class={state === 'complete' ? 'ok' : 'busy'}>
          {state}
        </strong>
      </p>
      <Actions d={d} rsets={rsets} />
      <Section title="Rollout">
        <ErrorBox error={allSets.error} />
        <Table
          label="replicasets"
          head={['ReplicaSet', 'Revision', 'Image', 'Desired', 'Current', 'Ready', 'Age']}
          rows={rsets.map((r) => [
            r.metadata.name,
            revision(r),
            images(r),
            r.spec?.replicas ?? 0,
            r.status?.replicas ?? 0,
            r.status?.readyReplicas ?? 0,
            age(r.metadata.creationTimestamp),
          ])}
        />
      </Section>
      <Section title={`Pods (${pods.length})`}>
        <ErrorBox error={allPods.error} />
        <Table
          label="pods"
          head={['Pod', 'Phase', 'Ready', 'Age']}
          rows={pods.map((p) => [
            <a key="n" href={href('pods', namespace, p.metadata.name)}>
              {p.metadata.name}
            </a>,
            p.metadata.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? ''),
            condition(p, 'Ready')?.status === 'True' ? 'yes' : 'no',
            age(p.metadata.creationTimestamp),
          ])}
        />
      </Section>
    </>
  );
}
