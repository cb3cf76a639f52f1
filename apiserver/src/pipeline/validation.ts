// Stage 5 of the request path: validation. The store calls it after the strategy's
// PrepareForCreate/PrepareForUpdate: the common ObjectMeta rules and the kind's own, 422 with
// field causes.
import { errors, type FieldError } from '../errors.ts';
import { validateObjectMetaCommon } from '../registry/resources/shared/meta-rules.ts';
import type { KObject, ResourceDef } from '../registry/types.ts';

export function validateObject(def: ResourceDef, obj: KObject, old: KObject | undefined): void {
  const errs: FieldError[] = [...validateObjectMetaCommon(obj, def), ...(def.validate?.(obj) ?? [])];
  if (old) errs.push(...(def.validateUpdate?.(obj, old) ?? []));
  if (errs.length) throw errors.invalid(def.group, def.kind, obj.metadata?.name ?? '', dedupe(errs));
}

function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.type}|${e.field}|${e.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
