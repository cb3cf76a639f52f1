// Builds OpenAPI v2 definitions (JSON schemas with Kubernetes' names, descriptions and
// x-kubernetes-* extensions) from the official client's models, on demand: a kind pulls in
// every type it references and nothing else.
import { readClientModel } from './client-models.ts';
import type { ModelField } from './client-models.ts';
import { classCandidates, coreV1Kinds, definitionName, groupPackageWord, isMetaV1Class, metaV1Prefix, splitClassName } from './naming.ts';
import { semanticsAsExtensions, semanticsOf } from './list-semantics.ts';

/** An OpenAPI schema object as JSON. */
export type Schema = { [key: string]: any };

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export const refPrefixV2 = '#/definitions/';

/** Leaf types that Kubernetes defines once and references everywhere. */
const wellKnown: Record<string, Schema> = {
  [`${metaV1Prefix}.Time`]: {
    type: 'string',
    format: 'date-time',
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.',
  },
  [`${metaV1Prefix}.MicroTime`]: {
    type: 'string',
    format: 'date-time',
    description: 'MicroTime is version of Time with microsecond level precision.',
  },
  [`${metaV1Prefix}.FieldsV1`]: {
    type: 'object',
    description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.',
  },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    type: 'string',
    format: 'int-or-string',
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description: 'RawExtension is used to hold extensions in external versions: an embedded object of any kind.',
  },
  [`${metaV1Prefix}.Patch`]: {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
};

export class DefinitionCatalog {
  readonly definitions = new Map<string, Schema>();
  private readonly nameOfClass = new Map<string, string>();

  constructor() {
    // Core kinds go first: the many types they share (PodTemplateSpec, Container, ...) are
    // core/v1 types even when reached from another group's kind.
    for (const kind of coreV1Kinds) this.kind('', 'v1', kind);
  }

  /** Adds a kind and everything it references; returns its definition name, undefined if unknown. */
  kind(group: string, version: string, kind: string): string | undefined {
    for (const className of classCandidates(group, version, kind)) {
      if (!readClientModel(className)) continue;
      return this.addClass(className, groupPackageWord(group));
    }
    return undefined;
  }

  /** Marks a definition as the schema of a kind (x-kubernetes-group-version-kind). */
  markKind(name: string, gvk: GroupVersionKind): void {
    const def = this.definitions.get(name);
    if (!def) return;
    const list: GroupVersionKind[] = (def['x-kubernetes-group-version-kind'] ??= []);
    if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) {
      list.push({ group: gvk.group, kind: gvk.kind, version: gvk.version });
      list.sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`));
    }
  }

  /** The definition that carries the given GVK. */
  definitionOfKind(gvk: GroupVersionKind): string | undefined {
    for (const [name, def] of this.definitions) {
      const list: GroupVersionKind[] | undefined = def['x-kubernetes-group-version-kind'];
      if (list?.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) return name;
    }
    return undefined;
  }

  /** A well-known leaf definition by name (Time, IntOrString, ...), added on first use. */
  wellKnown(name: string): string {
    if (!this.definitions.has(name)) this.definitions.set(name, structuredClone(wellKnown[name]));
    return name;
  }

  private addClass(className: string, inheritedPackage: string): string {
    const known = this.nameOfClass.get(className);
    if (known) return known;
    const model = readClientModel(className);
    const parts = splitClassName(className);
    if (!model || !parts) throw new Error(`no client model for ${className}`);
    let name: string;
    let packageWord = inheritedPackage;
    if (isMetaV1Class(className)) {
      name = `${metaV1Prefix}.${parts.name}`;
    } else {
      // `CoreV1Event`, `FlowcontrolApiserverV1Subject`: the first word is the Go package.
      if (parts.groupWord) packageWord = /^[A-Z][a-z0-9]*/.exec(parts.groupWord)![0].toLowerCase();
      name = definitionName(packageWord, parts.version, parts.name);
    }
    this.nameOfClass.set(className, name);
    const def: Schema = { description: model.description, type: 'object' };
    this.definitions.set(name, def); // before the fields: types may reference themselves
    const required = model.fields.filter((f) => f.required).map((f) => f.name);
    if (required.length) def.required = required;
    const properties: Record<string, Schema> = {};
    for (const f of model.fields) {
      properties[f.name] = {
        ...this.typeSchema(f.type, f, packageWord),
        ...(f.description ? { description: f.description } : {}),
        ...semanticsAsExtensions(semanticsOf(name, f.name)),
      };
    }
    def.properties = properties;
    Object.assign(def, semanticsAsExtensions(semanticsOf(name, '.')));
    if (!def.description) delete def.description;
    return name;
  }

  private typeSchema(type: string, field: ModelField, packageWord: string): Schema {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: this.typeSchema(array[1], field, packageWord) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1], field, packageWord) };
    switch (type) {
      case 'string':
        return field.format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        if (field.format === 'int32' || field.format === 'int64') return { type: 'integer', format: field.format };
        return field.format ? { type: 'number', format: field.format } : { type: 'number' };
      case 'Date':
        return this.ref(this.wellKnown(`${metaV1Prefix}.${field.format === 'date-time-micro' ? 'MicroTime' : 'Time'}`));
      case 'V1MicroTime':
        return this.ref(this.wellKnown(`${metaV1Prefix}.MicroTime`));
      case 'IntOrString':
        return this.ref(this.wellKnown('io.k8s.apimachinery.pkg.util.intstr.IntOrString'));
      case 'any':
        return this.ref(this.wellKnown(field.name === 'fieldsV1' ? `${metaV1Prefix}.FieldsV1` : 'io.k8s.apimachinery.pkg.runtime.RawExtension'));
      case 'object':
        return { type: 'object' };
    }
    if (readClientModel(type)) return this.ref(this.addClass(type, packageWord));
    throw new Error(`unsupported client model type ${type} (field ${field.name})`);
  }

  private ref(name: string): Schema {
    return { $ref: refPrefixV2 + name };
  }
}

/** Every definition name a schema references, directly or through others. */
export function referencedDefinitions(roots: Iterable<Schema>, definitions: Map<string, Schema>, refPrefix = refPrefixV2): Set<string> {
  const seen = new Set<string>();
  const stack: unknown[] = [...roots];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(refPrefix)) {
        const name = v.slice(refPrefix.length);
        if (!seen.has(name)) {
          seen.add(name);
          stack.push(definitions.get(name));
        }
      } else if (v && typeof v === 'object') stack.push(v);
    }
  }
  return seen;
}
