// GET and PUT certificatesigningrequests/NAME/approval (what `kubectl certificate approve`
// and the controller-manager's approver call). The generic store knows /status only, so this
// door writes through storage itself with the approval strategy of the CSR resource.
import { errors } from '../errors.ts';
import type { HandlerContext } from '../handlers/context.ts';
import { dryRunOf } from '../handlers/context.ts';
import { writeObject } from '../pipeline/encode.ts';
import { checkKind, readObject } from '../pipeline/decode.ts';
import { prepareForApprovalUpdate } from '../registry/resources/certificatesigningrequests.ts';
import type { KObject } from '../registry/types.ts';
import type { Storage } from '../storage/interface.ts';

function validateOrThrow(ctx: HandlerContext, next: KObject, old: KObject): void {
  const def = ctx.store.def;
  const errs = [...(def.validate?.(next) ?? []), ...(def.validateUpdate?.(next, old) ?? [])];
  if (errs.length) throw errors.invalid(def.group, def.kind, old.metadata.name ?? '', errs);
}

export async function handleCsrApproval(ctx: HandlerContext): Promise<void> {
  const name = ctx.info.name;
  if (!name) throw errors.notFoundPath();
  const store = ctx.store;
  if (store.def.resource !== 'certificatesigningrequests') throw errors.notFoundPath();
  if (ctx.info.verb === 'get') {
    writeObject(ctx, 200, await store.get(undefined, name));
    return;
  }
  if (ctx.info.verb !== 'update') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = await readObject(ctx);
  checkKind(ctx, body, store.def.kind, store.apiVersion);
  if (body.metadata?.name && body.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
  }
  const expected = body.metadata?.resourceVersion || undefined;
  const storage = ctx.registry.services.storage as Storage;
  const key = store.key(undefined, name);
  if (dryRunOf(ctx.query)) {
    const cur = await storage.get(key);
    if (!cur) throw store.notFound(name);
    const next = prepareForApprovalUpdate(body, cur);
    validateOrThrow(ctx, next, cur);
    writeObject(ctx, 200, store.output(next));
    return;
  }
  const stored = await storage
    .guaranteedUpdate(
      key,
      (cur) => {
        if (!cur) throw store.notFound(name);
        const next = prepareForApprovalUpdate(body, cur);
        delete next.metadata.resourceVersion; // storage sets the new one
        validateOrThrow(ctx, next, cur);
        return next;
      },
      { expectedResourceVersion: expected },
    )
    .catch((e: unknown) => {
      if (e instanceof Error && (e as { reason?: string }).reason === 'Conflict') {
        throw errors.conflict(
          store.def.group,
          store.def.resource,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      throw e;
    });
  writeObject(ctx, 200, store.output(stored));
}
