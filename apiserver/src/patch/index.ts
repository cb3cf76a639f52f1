// PATCH in its four flavours and field ownership (server-side apply), as pure functions.
export { applyJsonPatch, maxJsonPatchOperations } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge.ts';
export { serverSideApply, updateManagedFields, lastAppliedAnnotation } from './server-side-apply.ts';
export type { ServerSideApplyArgs, UpdateManagedFieldsArgs } from './server-side-apply.ts';
export { emptyPatchMeta, type PatchMeta, type FieldPatchMeta } from './meta.ts';
export { builtinPatchMeta } from './builtin-meta.ts';
export { decodeManagedFields, encodeManagedFields, isResetManagedFields, type ManagerEntry } from './managed-fields.ts';
export { defaultFieldManager, validateFieldManager } from './field-manager-name.ts';
