// The scale, binding and eviction subresources: views and actions on a main object.
import { errors } from '../errors.ts';
import { fromLabelSelectorObject, labelSelectorToString } from '../registry/selectors.ts';
import type { KObject } from '../registry/types.ts';
import type { DeleteOptions } from '../registry/store.ts';
import { statusSuccess } from '../server/http-util.ts';
import { admissionOf, writeOptions, type HandlerContext } from './context.ts';
import { writeObject, writeStatusObject } from '../pipeline/encode.ts';
import { applyPatch, checkKind, readObject, readPatch, typedWarnings, type PatchMetaProvider } from '../pipeline/decode.ts';

function getPath(obj: any, path: string): any {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setPath(obj: any, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    o[k] ??= {};
    o = o[k];
  }
  o[keys[keys.length - 1]!] = value;
}

/** autoscaling/v1 Scale for a Deployment, ReplicaSet or ReplicationController. */
export function toScale(ctx: HandlerContext, obj: KObject): KObject {
  const s = ctx.store.def.scale!;
  const selector = s.labelSelector
    ? s.labelSelector(obj)
    : obj.spec?.selector
      ? labelSelectorToString(fromLabelSelectorObject(obj.spec.selector))
      : s.labelSelectorPath
        ? getPath(obj, s.labelSelectorPath)
        : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: getPath(obj, s.specReplicasPath) ?? 0 },
    status: { replicas: getPath(obj, s.statusReplicasPath) ?? 0, ...(selector ? { selector } : {}) },
  };
}

const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export async function handleScale(ctx: HandlerContext, patchMeta: PatchMetaProvider): Promise<void> {
  const s = ctx.store.def.scale;
  if (!s) throw errors.notFound(ctx.store.def.group, `${ctx.store.def.resource}/scale`, ctx.info.name!);
  const { namespace, name } = ctx.info;
  const setReplicas = (cur: KObject, scale: KObject): KObject => {
    const r = scale.spec?.replicas;
    if (r !== undefined && (!Number.isInteger(r) || r < 0)) {
      throw errors.invalid('autoscaling', 'Scale', name!, [
        { type: 'FieldValueInvalid', field: 'spec.replicas', value: r, detail: 'must be greater than or equal to 0' },
      ]);
    }
    setPath(cur, s.specReplicasPath, r ?? 0);
    if (scale.metadata?.resourceVersion) cur.metadata.resourceVersion = scale.metadata.resourceVersion;
    return cur;
  };
  switch (ctx.info.verb) {
    case 'get':
      writeObject(ctx, 200, toScale(ctx, await ctx.store.get(namespace, name!)));
      return;
    case 'update': {
      const scale = await readObject(ctx, 'Scale');
      checkKind(ctx, scale, 'Scale', 'autoscaling/v1');
      ctx.warnings.push(...typedWarnings(ctx, scale, 'body', scaleKind));
      const out = await ctx.store.modify(namespace, name!, (cur) => setReplicas(cur, scale), writeOptions(ctx, 'scale'));
      writeObject(ctx, 200, toScale(ctx, out));
      return;
    }
    case 'patch': {
      const patch = await readPatch(ctx);
      const out = await ctx.store.modify(
        namespace,
        name!,
        (cur) => {
          const patched = applyPatch(toScale(ctx, cur), patch, patchMeta('autoscaling', 'v1', 'Scale'));
          typedWarnings(ctx, patched, 'patch', scaleKind);
          return setReplicas(cur, patched);
        },
        writeOptions(ctx, 'scale'),
      );
      writeObject(ctx, 200, toScale(ctx, out));
      return;
    }
    default:
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

/** POST NAME/binding (pods), and the legacy POST namespaces/NS/bindings naming the object in the body. */
export async function handleBinding(ctx: HandlerContext, objectName: string | undefined): Promise<void> {
  const def = ctx.store.def;
  if (!def.bind) throw errors.notFound(def.group, `${def.resource}/binding`, objectName ?? '');
  const bind = def.bind;
  const binding = await readObject(ctx, 'Binding');
  checkKind(ctx, binding, 'Binding', 'v1');
  ctx.warnings.push(...typedWarnings(ctx, binding, 'body', { group: '', version: 'v1', kind: 'Binding' }));
  const name = objectName ?? binding.metadata.name;
  if (!name) throw errors.badRequest('a Binding needs metadata.name');
  if (!binding.target?.name) {
    throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  }
  if (binding.target.kind && binding.target.kind !== 'Node') {
    throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: binding.target.kind, supported: ['Node'] }]);
  }
  await ctx.store.modify(
    ctx.info.namespace,
    name,
    (cur) => {
      if (binding.metadata.uid && binding.metadata.uid !== cur.metadata.uid) {
        throw errors.conflict(
          def.group,
          def.resource,
          name,
          `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${cur.metadata.uid}`,
        );
      }
      if (cur.metadata.deletionTimestamp)
        throw errors.conflict(def.group, def.resource, name, `${def.singular} is being deleted, cannot be assigned to a host`);
      return bind(cur, binding);
    },
    { ...writeOptions(ctx, 'binding') },
  );
  writeStatusObject(ctx, 201, statusSuccess());
}

/** POST NAME/eviction: a delete that respects the options in the Eviction and what the resource guards it with. */
export async function handleEviction(ctx: HandlerContext): Promise<void> {
  const ev = await readObject(ctx, 'Eviction');
  if (ev.kind && ev.kind !== 'Eviction') throw errors.badRequest(`${ev.kind} is not an Eviction`);
  ctx.warnings.push(...typedWarnings(ctx, ev, 'body', { group: 'policy', version: 'v1', kind: 'Eviction' }));
  if (ev.metadata?.name && ev.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const { namespace } = ctx.info;
  const name = ctx.info.name!;
  const deleteOptions = evictionDeleteOptions(ev.deleteOptions ?? {}, ctx.query.getAll('dryRun'));
  const write = { user: ctx.user, admission: admissionOf(ctx, 'eviction') };
  const remove = async (options: DeleteOptions) => {
    await ctx.store.delete(namespace, name, options, write);
  };
  const evict = ctx.store.def.evict;
  if (!evict) {
    await remove(deleteOptions);
    writeStatusObject(ctx, 201, statusSuccess());
    return;
  }
  const result = await evict(
    {
      namespace: namespace ?? '',
      name,
      deleteOptions,
      get: () => ctx.store.get(namespace, name),
      // the store's write of the object's status, without admission (as EvictionREST's status update)
      updateStatus: (mutate) =>
        ctx.store.modify(namespace, name, mutate, { ...writeOptions(ctx, 'status'), admission: undefined, mutatingAdmission: undefined }),
      delete: remove,
    },
    { user: ctx.user, dryRun: !!deleteOptions.dryRun?.length, services: ctx.registry.services },
  );
  writeStatusObject(ctx, result.code, result.status);
}

/** propagateDryRun: the request's dryRun and the Eviction's must agree when both are given. */
function evictionDeleteOptions(opts: Record<string, any>, requestDryRun: string[]): DeleteOptions {
  const own: string[] | undefined = opts.dryRun?.length ? opts.dryRun : undefined;
  if (own && requestDryRun.length && JSON.stringify(own) !== JSON.stringify(requestDryRun)) {
    throw errors.badRequest(`Non-matching dry-run options in request and content: [${requestDryRun.join(' ')}] and [${own.join(' ')}]`);
  }
  return {
    gracePeriodSeconds: opts.gracePeriodSeconds,
    propagationPolicy: opts.propagationPolicy,
    orphanDependents: opts.orphanDependents,
    preconditions: opts.preconditions,
    dryRun: own ?? (requestDryRun.length ? requestDryRun : undefined),
  };
}
