// The ResourceDefs a CustomResourceDefinition serves: one per served version, all stored under
// /registry/<group>/<plural>/ in the storage version, converted by `None` (only apiVersion
// changes, which the store sets on the way out). Each version's schema is compiled once here,
// when the CRD changes; the generic store then serves them like any built-in kind.
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { errors } from '../errors.ts';
import { validateMetaFor } from '../registry/resources/shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from '../registry/resources/shared/status-split.ts';
import { storageVersionOf } from '../registry/resources/customresourcedefinitions.ts';
import type { KObject, ResourceDef, ScaleSubresource } from '../registry/types.ts';
import { compileVersionSchema, toOpenAPIV2Schema, toOpenAPIV3Schema } from './crd-schema.ts';
import { evaluateJsonPath, parseJsonPath } from './jsonpath.ts';
import { printerColumnsConvertor } from './printer-columns.ts';

const trimDot = (p: string) => p.replace(/^\./, '');

function scaleOf(scale: any): ScaleSubresource {
  const selector = scale.labelSelectorPath ? parseJsonPath(scale.labelSelectorPath) : undefined;
  return {
    specReplicasPath: trimDot(scale.specReplicasPath),
    statusReplicasPath: trimDot(scale.statusReplicasPath),
    labelSelectorPath: scale.labelSelectorPath ? trimDot(scale.labelSelectorPath) : undefined,
    // the selector of a custom resource is the string at labelSelectorPath, never spec.selector
    labelSelector(obj) {
      const found = selector ? evaluateJsonPath(selector, obj)[0] : undefined;
      return typeof found === 'string' ? found : '';
    },
  };
}

function anythingButMetadataDiffers(obj: KObject, old: KObject): boolean {
  const strip = ({ metadata: _m, apiVersion: _a, kind: _k, ...rest }: KObject) => rest;
  return JSON.stringify(strip(obj)) !== JSON.stringify(strip(old));
}

/** The version's schema as /openapi v2 and v3 publish it (the library adds apiVersion, kind and metadata). */
function publishedSchema(schema: Record<string, any> | undefined): { v2: Record<string, unknown>; v3: Record<string, unknown> } {
  const s = schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return { v2: toOpenAPIV2Schema(s), v3: toOpenAPIV3Schema(s) };
}

/**
 * The resources of an accepted CRD (its status.acceptedNames), one per served version. While the
 * CRD is being deleted (`terminating`) they are still read and deleted, but not created.
 */
export function customResourceDefs(crd: KObject, opts: { terminating?: boolean } = {}): ResourceDef[] {
  const spec = crd.spec;
  const names = crd.status?.acceptedNames ?? spec.names;
  const group: string = spec.group;
  const namespaced = spec.scope === 'Namespaced';
  const storageVersion = storageVersionOf(crd);
  const storageApiVersion = `${group}/${storageVersion}`;
  const out: ResourceDef[] = [];
  for (const v of spec.versions as any[]) {
    if (!v.served) continue;
    const schema = v.schema?.openAPIV3Schema;
    const compiled = compileVersionSchema(schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    const withStatus = !!v.subresources?.status;
    const subresources = [...(withStatus ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])];
    const isStorage = v.name === storageVersion;
    const def: ResourceDef = {
      group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      resource: names.plural,
      singular: names.singular || String(names.kind).toLowerCase(),
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      namespaced,
      storageResource: `${group}/${names.plural}`,
      subresources,
      scale: v.subresources?.scale ? scaleOf(v.subresources.scale) : undefined,
      unstructured: true,
      openAPISchema: publishedSchema(schema),
      table: printerColumnsConvertor(v.additionalPrinterColumns),

      // field validation names unknown fields without the leading dot (`spec.foo`)
      pruneUnknownFields: (obj) => compiled.prune(obj).map(trimDot),
      defaults: (obj) => compiled.default(obj),
      validate(obj) {
        return [...validateMetaFor(obj, namespaced, nameIsDnsSubdomain), ...compiled.validate(obj)];
      },
      validateUpdate: (obj, old) => compiled.validate(obj, old),
      prepareForCreate(obj) {
        if (opts.terminating) throw errors.methodNotAllowed(`create is not supported on resources of kind "${names.plural}.${group}"`);
        if (withStatus) delete obj.status;
      },
      prepareForUpdate(obj, old) {
        if (withStatus) keepOldStatus(obj, old);
      },
      prepareForStatusUpdate: takeStatusOnly,
      // without a status subresource, status is part of what the generation counts
      specChanged: (obj, old) => (withStatus ? specDiffers(obj, old) : anythingButMetadataDiffers(obj, old)),
    };
    if (!isStorage) {
      // None conversion: stored in the storage version, read in this one with this version's defaults
      def.toStorage = (obj) => {
        obj.apiVersion = storageApiVersion;
        return obj;
      };
      def.fromStorage = (obj) => {
        compiled.default(obj);
        return obj;
      };
    }
    out.push(def);
  }
  return out;
}
