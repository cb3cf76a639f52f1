// The schema of a CRD version as /openapi/v2 and /openapi/v3 publish it (apiextensions
// pkg/controller/openapi/builder): the root gains apiVersion, kind and a metadata reference to
// ObjectMeta; v3 keeps the schema with its x-kubernetes-* extensions; v2 is the structural schema
// made digestible for kubectl (openapi/v2 ToStructuralOpenAPIV2): no allOf/anyOf/oneOf/not, nullable
// fields lose their type and are no longer required, preserve-unknown-fields nodes lose their
// properties and items. Definitions and x-kubernetes-group-version-kind are the caller's.
import type { JSONSchemaProps } from './index.ts';
import { isObject } from './node.ts';

const objectMeta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const apiVersionDoc =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const kindDoc =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const metadataDoc = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

type Out = Record<string, unknown>;

function withRoot(s: Out, metadataRef: Out): Out {
  const props = { ...((s.properties as Record<string, Out> | undefined) ?? {}) };
  props.apiVersion = { description: apiVersionDoc, type: 'string' };
  props.kind = { description: kindDoc, type: 'string' };
  props.metadata = { description: metadataDoc, ...metadataRef };
  return { ...s, type: 'object', properties: props };
}

/** The body schema for /openapi/v3 (`#/components/schemas/...` references). */
export function toOpenAPIV3Schema(schema: JSONSchemaProps): Out {
  const copy = structuredClone(schema) as Out;
  return withRoot(copy, { allOf: [{ $ref: `#/components/schemas/${objectMeta}` }] });
}

/** The body schema for /openapi/v2 (`#/definitions/...` references). */
export function toOpenAPIV2Schema(schema: JSONSchemaProps): Out {
  const v2 = toV2(structuredClone(schema)) as Out;
  return withRoot(v2, { $ref: `#/definitions/${objectMeta}` });
}

function toV2(s: JSONSchemaProps): JSONSchemaProps {
  delete s.allOf;
  delete s.anyOf;
  delete s.oneOf;
  delete s.not;
  if (s.nullable) {
    // kubectl's v2 validation rejects null for a typed field: leave the type open instead.
    delete s.type;
    delete s.nullable;
    delete s.items;
    delete s.properties;
  }
  if (s['x-kubernetes-preserve-unknown-fields']) {
    delete s.items;
    delete s.properties;
  }
  if (s.type === 'array' && !s.items) delete s.type;
  if (s.properties) {
    for (const [k, p] of Object.entries(s.properties)) {
      if (p.nullable && s.required) s.required = s.required.filter((r) => r !== k);
      s.properties[k] = toV2(p);
    }
    if (s.required?.length === 0) delete s.required;
  }
  if (isObject(s.additionalProperties)) {
    const ap = s.additionalProperties as JSONSchemaProps;
    s.additionalProperties = ap.nullable ? true : toV2(ap);
  }
  if (s.items && !Array.isArray(s.items)) s.items = toV2(s.items);
  return s;
}
