// Turns the v2 paths and definitions into one OpenAPI 3.0 document per group-version, as
// kube-apiserver serves them under /openapi/v3/<api|apis/group>/<version>.
import { referencedDefinitions, refPrefixV2 } from './definitions.ts';
import type { Schema } from './definitions.ts';
import type { PathItem } from './paths.ts';

const refPrefixV3 = '#/components/schemas/';
const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** `ownV3`: definitions that come in v3 form already (a CRD's schema), published as they are. */
export function v3Document(
  paths: Record<string, PathItem>,
  definitions: Map<string, Schema>,
  version: string,
  ownV3: ReadonlyMap<string, Schema> = new Map(),
): Schema {
  const outPaths: Record<string, Schema> = {};
  for (const [url, item] of Object.entries(paths)) {
    const outItem: Schema = {};
    for (const m of methods) if (item[m]) outItem[m] = v3Operation(item[m]!);
    outPaths[url] = outItem;
  }
  const names = [...referencedDefinitions(Object.values(paths), definitions)].sort();
  const schemas: Record<string, Schema> = {};
  for (const name of names) {
    const own = ownV3.get(name);
    const gvk = definitions.get(name)!['x-kubernetes-group-version-kind'];
    schemas[name] = own ? { ...own, ...(gvk ? { 'x-kubernetes-group-version-kind': gvk } : {}) } : v3Schema(definitions.get(name)!, true);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version },
    paths: outPaths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

function v3Operation(op: Schema): Schema {
  const { consumes, produces, schemes: _schemes, parameters, responses, ...rest } = op;
  const out: Schema = { ...rest, parameters: [] };
  for (const param of parameters as Schema[]) {
    if (param.in === 'body') {
      const content: Schema = {};
      for (const type of consumes as string[]) content[type] = { schema: v3Schema(param.schema, false) };
      out.requestBody = { content, ...(param.required ? { required: true } : {}) };
    } else {
      const { type, uniqueItems, name, in: where, description, required } = param;
      out.parameters.push({ name, in: where, description, ...(required ? { required: true } : {}), schema: { type, uniqueItems } });
    }
  }
  const outResponses: Schema = {};
  for (const [code, r] of Object.entries(responses as Record<string, Schema>)) {
    if (!r.schema) {
      outResponses[code] = { description: r.description };
      continue;
    }
    const content: Schema = {};
    for (const type of produces as string[]) content[type] = { schema: v3Schema(r.schema, false) };
    outResponses[code] = { description: r.description, content };
  }
  out.responses = outResponses;
  return out;
}

/** v2 schema → v3: refs move to components, and a $ref with siblings is wrapped in allOf as kube does. */
function v3Schema(s: Schema, topLevel: boolean): Schema {
  if (!s || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, p]) => [n, v3Schema(p, false)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = typeof v === 'object' ? v3Schema(v, false) : v;
    else if (k === 'allOf') out.allOf = (v as Schema[]).map((x) => v3Schema(x, false));
    else if (k === '$ref') out.$ref = refPrefixV3 + (v as string).slice(refPrefixV2.length);
    else out[k] = v;
  }
  if (out.$ref && Object.keys(out).length > 1 && !topLevel) {
    const { $ref, ...siblings } = out;
    return { allOf: [{ $ref }], ...siblings };
  }
  return out;
}
