// apiextensions.k8s.io/v1 CustomResourceDefinition, as apiextensions-apiserver's strategy and
// validation have it. Serving the resources a CRD defines, its NamesAccepted/Established
// conditions and the clean-up of its objects on deletion are the CRD controller's
// (apiextensions/crd-controller.ts); the schemas are checked by the schema library.
import { checkDns1035Label, checkDns1123Subdomain, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { setStatusCondition } from '@skiff/common/apimachinery/conditions';
import { field, type FieldError } from '../../errors.ts';
import { validateCustomResourceSchema } from '../../apiextensions/crd-schema.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';

/** Removed by the CRD controller once every custom resource of the CRD is gone. */
export const customResourceCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

const scopes = ['Cluster', 'Namespaced'];
const columnTypes = ['integer', 'number', 'string', 'boolean', 'date'];
const columnFormats = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'];

/** Groups of the Kubernetes project: a CRD there needs an approved API review (KEP 1111). */
const apiApprovedAnnotation = 'api-approved.kubernetes.io';
const isProtectedGroup = (group: string) => ['k8s.io', 'kubernetes.io'].some((d) => group === d || group.endsWith(`.${d}`));

/** The version objects are stored in: the one marked storage. */
export function storageVersionOf(crd: KObject): string | undefined {
  return (crd.spec?.versions as any[] | undefined)?.find((v) => v?.storage === true)?.name;
}

function validateNames(names: any, path: string, out: FieldError[]): void {
  const lower = (f: string, v: unknown, required: boolean) => {
    if (v === undefined || v === '') {
      if (required) out.push(field.required(`${path}.${f}`));
      return;
    }
    for (const m of checkDns1035Label(String(v))) out.push(field.invalid(`${path}.${f}`, v, m));
  };
  const mixed = (f: string, v: unknown, required: boolean) => {
    if (v === undefined || v === '') {
      if (required) out.push(field.required(`${path}.${f}`));
      return;
    }
    if (checkDns1035Label(String(v).toLowerCase()).length) {
      out.push(field.invalid(`${path}.${f}`, v, 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?'));
    }
  };
  lower('plural', names?.plural, true);
  lower('singular', names?.singular, true);
  mixed('kind', names?.kind, true);
  mixed('listKind', names?.listKind, true);
  if (names?.kind && names.kind === names.listKind) out.push(field.invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  (names?.shortNames ?? []).forEach((s: unknown, i: number) => lower(`shortNames[${i}]`, s, true));
  (names?.categories ?? []).forEach((s: unknown, i: number) => lower(`categories[${i}]`, s, true));
}

function validateJsonPath(path: string, value: unknown, under: string[], out: FieldError[]): void {
  if (typeof value !== 'string' || value === '') {
    out.push(field.required(path));
    return;
  }
  if (!under.some((u) => value.startsWith(`.${u}.`))) {
    out.push(
      field.invalid(path, value, `should be a json path under ${under.length === 1 ? `.${under[0]}` : `either ${under.map((u) => `.${u}`).join(' or ')}`}`),
    );
  }
}

function validateVersion(v: any, path: string, out: FieldError[]): void {
  if (!v?.name) out.push(field.required(`${path}.name`));
  else for (const m of checkDns1035Label(v.name)) out.push(field.invalid(`${path}.name`, v.name, m));
  for (const b of ['served', 'storage']) if (typeof v?.[b] !== 'boolean') out.push(field.required(`${path}.${b}`));
  const schema = v?.schema?.openAPIV3Schema;
  if (!schema) out.push(field.required(`${path}.schema.openAPIV3Schema`, 'schemas are required'));
  else out.push(...validateCustomResourceSchema(schema, `${path}.schema.openAPIV3Schema`));
  const scale = v?.subresources?.scale;
  if (scale) {
    validateJsonPath(`${path}.subresources.scale.specReplicasPath`, scale.specReplicasPath, ['spec'], out);
    validateJsonPath(`${path}.subresources.scale.statusReplicasPath`, scale.statusReplicasPath, ['status'], out);
    if (scale.labelSelectorPath !== undefined)
      validateJsonPath(`${path}.subresources.scale.labelSelectorPath`, scale.labelSelectorPath, ['spec', 'status'], out);
  }
  (v?.additionalPrinterColumns ?? []).forEach((c: any, i: number) => {
    const p = `${path}.additionalPrinterColumns[${i}]`;
    if (!c?.name) out.push(field.required(`${p}.name`));
    if (!columnTypes.includes(c?.type)) out.push(field.notSupported(`${p}.type`, c?.type, columnTypes));
    if (c?.format && !columnFormats.includes(c.format)) out.push(field.notSupported(`${p}.format`, c.format, columnFormats));
    if (!c?.jsonPath) out.push(field.required(`${p}.jsonPath`));
    if (c?.priority !== undefined && (!Number.isInteger(c.priority) || c.priority < 0))
      out.push(field.invalid(`${p}.priority`, c.priority, 'must be greater than or equal to 0'));
  });
}

export const customresourcedefinitions: ResourceDef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  resource: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  namespaced: false,
  subresources: ['status'],

  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.conversion ??= { strategy: 'None' };
    const names = spec.names;
    if (names?.kind) {
      names.singular ??= String(names.kind).toLowerCase();
      names.listKind ??= `${names.kind}List`;
    }
    // priority is an omitempty int32 in Go: a 0 is never written back, so kubectl's three-way
    // apply sees the stored column equal to the manifest's (and says "unchanged")
    for (const v of spec.versions ?? []) {
      for (const c of v?.additionalPrinterColumns ?? []) if (c?.priority === 0) delete c.priority;
    }
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, nameIsDnsSubdomain);
    const spec = obj.spec ?? {};
    const group = spec.group;
    const plural = spec.names?.plural;
    if (obj.metadata.name !== `${plural}.${group}`) {
      out.push(field.invalid('metadata.name', obj.metadata.name, 'must be spec.names.plural+"."+spec.group'));
    }
    if (!group) out.push(field.required('spec.group'));
    else {
      for (const m of checkDns1123Subdomain(group)) out.push(field.invalid('spec.group', group, m));
      if (!String(group).includes('.')) out.push(field.invalid('spec.group', group, 'should be a domain with at least one dot'));
    }
    if (typeof group === 'string' && isProtectedGroup(group) && !obj.metadata.annotations?.[apiApprovedAnnotation]) {
      out.push(
        field.required(
          `metadata.annotations[${apiApprovedAnnotation}]`,
          `protected groups must have approval annotation "${apiApprovedAnnotation}", see https://github.com/kubernetes/enhancements/pull/1111`,
        ),
      );
    }
    if (!spec.scope) out.push(field.required('spec.scope'));
    else if (!scopes.includes(spec.scope)) out.push(field.notSupported('spec.scope', spec.scope, scopes));
    validateNames(spec.names, 'spec.names', out);
    const versions: any[] = Array.isArray(spec.versions) ? spec.versions : [];
    if (!versions.length) out.push(field.required('spec.versions', 'must have exactly one version marked as storage version'));
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      validateVersion(v, `spec.versions[${i}]`, out);
      if (v?.name && seen.has(v.name)) out.push(field.duplicate(`spec.versions[${i}].name`, v.name));
      if (v?.name) seen.add(v.name);
    });
    if (versions.length && versions.filter((v) => v?.storage === true).length !== 1) {
      out.push(
        field.invalid(
          'spec.versions',
          versions.map((v) => v?.name),
          'must have exactly one version marked as storage version',
        ),
      );
    }
    const strategy = spec.conversion?.strategy;
    // Webhook conversion would call out to a Service; this server converts with None only.
    if (strategy !== 'None') out.push(field.notSupported('spec.conversion.strategy', strategy, ['None']));
    if (spec.preserveUnknownFields === true) {
      out.push(
        field.invalid(
          'spec.preserveUnknownFields',
          true,
          'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
        ),
      );
    }
    (obj.status?.storedVersions ?? []).forEach((sv: string, i: number) => {
      if (!seen.has(sv)) out.push(field.invalid(`status.storedVersions[${i}]`, sv, 'must appear in spec.versions'));
    });
    return out;
  },

  validateUpdate(obj, old) {
    const out: FieldError[] = [];
    if (obj.spec?.group !== old.spec?.group) out.push(field.invalid('spec.group', obj.spec?.group, 'field is immutable'));
    if (obj.spec?.scope !== old.spec?.scope) out.push(field.invalid('spec.scope', obj.spec?.scope, 'field is immutable'));
    return out;
  },

  prepareForCreate(obj) {
    const storage = storageVersionOf(obj);
    obj.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] };
  },

  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
    // objects written in the new storage version must be remembered until migrated
    const storage = storageVersionOf(obj);
    if (storage) {
      obj.status ??= {};
      const stored: string[] = (obj.status.storedVersions ??= []);
      if (!stored.includes(storage)) stored.push(storage);
    }
  },

  prepareForStatusUpdate: takeStatusOnly,

  // Every CRD goes through the clean-up finalizer: its first DELETE only marks it (prepareForDelete).
  deletionBlocked(obj) {
    return !obj.metadata.deletionTimestamp;
  },

  prepareForDelete(obj) {
    const finalizers = (obj.metadata.finalizers ??= []);
    if (!finalizers.includes(customResourceCleanupFinalizer)) finalizers.push(customResourceCleanupFinalizer);
    obj.status ??= {};
    setStatusCondition((obj.status.conditions ??= []), {
      type: 'Terminating',
      status: 'True',
      reason: 'InstanceDeletionPending',
      message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    });
  },
};
