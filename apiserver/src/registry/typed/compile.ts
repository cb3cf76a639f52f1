// Compiles the OpenAPI definition of a kind (the one the apiserver serves) into a tree of typed
// nodes, once per kind: the decoder then walks an object against plain objects and switches,
// never re-reading the schema or following $refs on the write path.
import type { Schema } from '../../openapi/definitions.ts';
import { definitionAt, kindDefinition } from '../../openapi/schema-lookup.ts';
import { protoRoot } from '../../protobuf/schema.ts';
import { enumValues } from './enums.ts';
import protobuf from 'protobufjs';

export type TypedNode =
  | { kind: 'string'; goType: string; format?: 'byte' | 'date-time'; enum?: readonly string[] }
  | { kind: 'int'; goType: 'int32' | 'int64' }
  | { kind: 'float'; goType: string }
  | { kind: 'bool'; goType: 'bool' }
  | { kind: 'intOrString'; goType: 'intstr.IntOrString' }
  | { kind: 'quantity'; goType: 'resource.Quantity' }
  /** RawExtension, FieldsV1, free-form objects: any JSON is kept as it is */
  | { kind: 'any'; goType: string }
  | { kind: 'array'; goType: string; items: TypedNode }
  | { kind: 'map'; goType: string; values: TypedNode }
  | StructNode;

export interface StructNode {
  kind: 'struct';
  /** Go's reflect name, e.g. `v1.PodSpec` */
  goType: string;
  /** the struct's bare name as Go's decoder reports it (`Go struct field PodSpec.spec.x`) */
  name: string;
  fields: Map<string, TypedNode>;
}

const quantityProto = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const intOrStringDefinition = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

const byKind = new Map<string, StructNode | null>();
const byDefinition = new Map<string, StructNode>();

/** The compiled root of a served kind, or undefined when no schema is known for it. */
export function compiledKind(group: string, version: string, kind: string): StructNode | undefined {
  const key = `${group}/${version}/${kind}`;
  const hit = byKind.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const def = kindDefinition(group, version, kind);
  const node = def ? compileDefinition(def.name, def.schema) : null;
  byKind.set(key, node);
  return node ?? undefined;
}

/** `io.k8s.api.core.v1.PodSpec` -> `v1.PodSpec`, as Go's reflect prints the type. */
function goTypeOfDefinition(name: string): string {
  const parts = name.split('.');
  return parts.slice(-2).join('.');
}

function compileDefinition(name: string, schema: Schema): StructNode {
  const known = byDefinition.get(name);
  if (known) return known;
  const node: StructNode = { kind: 'struct', goType: goTypeOfDefinition(name), name: name.split('.').pop()!, fields: new Map() };
  byDefinition.set(name, node); // before the fields: definitions may reference themselves
  const proto = protoMessage(name);
  for (const [field, fieldSchema] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const isQuantity = protoFieldIsQuantity(proto, field);
    node.fields.set(field, compileSchema(fieldSchema, isQuantity, enumValues(name, field)));
  }
  return node;
}

/** Our .proto files name Quantity fields; the client models the schema is built from say "string". */
function protoMessage(definition: string): protobuf.Type | undefined {
  if (!definition.startsWith('io.k8s.')) return undefined;
  const found = protoRoot.lookup(`k8s.io.${definition.slice('io.k8s.'.length)}`);
  return found instanceof protobuf.Type ? found : undefined;
}

function protoFieldIsQuantity(type: protobuf.Type | undefined, field: string): boolean {
  const f = type?.fields[field];
  if (!f) return false;
  f.resolve();
  return f.resolvedType?.fullName === quantityProto;
}

function compileSchema(schema: Schema, isQuantity: boolean, enumList?: readonly string[]): TypedNode {
  const ref: string | undefined = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
  if (ref) {
    const target = definitionAt(ref);
    if (!target) return { kind: 'any', goType: 'interface {}' };
    if (target.name === intOrStringDefinition) return { kind: 'intOrString', goType: 'intstr.IntOrString' };
    const s = target.schema;
    if (s.type === 'string') return { kind: 'string', goType: goTypeOfDefinition(target.name), format: s.format === 'date-time' ? 'date-time' : undefined };
    if (s['x-kubernetes-preserve-unknown-fields'] || !s.properties) return { kind: 'any', goType: goTypeOfDefinition(target.name) };
    return compileDefinition(target.name, s);
  }
  switch (schema.type) {
    case 'string':
      if (isQuantity) return { kind: 'quantity', goType: 'resource.Quantity' };
      if (schema.format === 'byte') return { kind: 'string', goType: '[]uint8', format: 'byte' };
      return enumList ? { kind: 'string', goType: 'string', enum: enumList } : { kind: 'string', goType: 'string' };
    case 'integer':
      return { kind: 'int', goType: schema.format === 'int32' ? 'int32' : 'int64' };
    case 'number':
      return { kind: 'float', goType: 'float64' };
    case 'boolean':
      return { kind: 'bool', goType: 'bool' };
    case 'array': {
      const items = compileSchema(schema.items ?? {}, isQuantity, enumList);
      return { kind: 'array', goType: `[]${items.goType}`, items };
    }
    case 'object':
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        const values = compileSchema(schema.additionalProperties, isQuantity, enumList);
        return { kind: 'map', goType: `map[string]${values.goType}`, values };
      }
      return { kind: 'any', goType: 'map[string]interface {}' };
    default:
      return { kind: 'any', goType: 'interface {}' };
  }
}
