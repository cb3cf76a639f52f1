// Encodes an OpenAPI v2 JSON document as gnostic's openapi.v2.Document protobuf, the form
// kubectl 1.27/1.28 ask for with Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf.
import protobuf from 'protobufjs';
import yaml from 'js-yaml';
import { gnosticOpenApiV2Proto } from './gnostic-v2-proto.ts';
import type { Schema } from './definitions.ts';

/** What kubectl puts in Accept to ask for the protobuf form. */
export const openApiV2ProtobufMediaType = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** What the response says it is: Go's mime parser rejects the '@' of the Accept form. */
export const openApiV2ProtobufResponseType = 'application/octet-stream';

let documentType: protobuf.Type | undefined;

/** The openapi.v2.Document message type, parsed once from our .proto text. */
export function gnosticDocumentType(): protobuf.Type {
  documentType ??= protobuf.parse(gnosticOpenApiV2Proto, { keepCase: true }).root.lookupType('openapi.v2.Document');
  return documentType;
}

export function encodeV2Protobuf(doc: Schema): Buffer {
  const type = gnosticDocumentType();
  const message = type.fromObject(toGnosticDocument(doc));
  return Buffer.from(type.encode(message).finish());
}

/** Decodes our protobuf back to the gnostic message as a plain object (for tests and tools). */
export function decodeV2Protobuf(bytes: Uint8Array): Schema {
  const type = gnosticDocumentType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true, oneofs: false });
}

function toGnosticDocument(doc: Schema): Schema {
  const out: Schema = {
    swagger: doc.swagger,
    info: doc.info,
    paths: { path: Object.entries(doc.paths as Record<string, Schema>).map(([name, item]) => ({ name, value: pathItem(item) })) },
    definitions: { additional_properties: Object.entries(doc.definitions as Record<string, Schema>).map(([name, s]) => ({ name, value: schema(s) })) },
  };
  if (doc.securityDefinitions) {
    out.security_definitions = {
      additional_properties: Object.entries(doc.securityDefinitions as Record<string, Schema>).map(([name, d]) => ({
        name,
        value: { api_key_security: { type: d.type, name: d.name, in: d.in, description: d.description } },
      })),
    };
  }
  if (doc.security) {
    out.security = (doc.security as Record<string, string[]>[]).map((req) => ({
      additional_properties: Object.entries(req).map(([name, value]) => ({ name, value: { value } })),
    }));
  }
  return out;
}

function pathItem(item: Schema): Schema {
  const out: Schema = {};
  for (const method of ['get', 'put', 'post', 'delete', 'patch']) if (item[method]) out[method] = operation(item[method]);
  return out;
}

function operation(op: Schema): Schema {
  return {
    tags: op.tags,
    description: op.description,
    operation_id: op.operationId,
    produces: op.produces,
    consumes: op.consumes,
    schemes: op.schemes,
    parameters: (op.parameters as Schema[]).map((p) => ({ parameter: parameter(p) })),
    responses: {
      response_code: Object.entries(op.responses as Record<string, Schema>).map(([code, r]) => ({
        name: code,
        value: { response: { description: r.description, ...(r.schema ? { schema: { schema: schema(r.schema) } } : {}) } },
      })),
    },
    vendor_extension: vendorExtensions(op),
  };
}

function parameter(p: Schema): Schema {
  if (p.in === 'body') {
    return { body_parameter: { description: p.description, name: p.name, in: p.in, required: !!p.required, schema: schema(p.schema) } };
  }
  const sub = { required: !!p.required, in: p.in, description: p.description, name: p.name, type: p.type, unique_items: !!p.uniqueItems };
  if (p.in === 'path') return { non_body_parameter: { path_parameter_sub_schema: sub } };
  if (p.in === 'query') return { non_body_parameter: { query_parameter_sub_schema: sub } };
  throw new Error(`parameter location ${p.in} has no encoding`);
}

function schema(s: Schema): Schema {
  const out: Schema = {};
  if (s.$ref) out._ref = s.$ref;
  if (s.format) out.format = s.format;
  if (s.description) out.description = s.description;
  if (s.required) out.required = s.required;
  if (s.type) out.type = { value: [s.type] };
  if (s.uniqueItems) out.unique_items = true;
  if (s.items) out.items = { schema: [schema(s.items)] };
  if (s.allOf) out.all_of = (s.allOf as Schema[]).map(schema);
  if (s.additionalProperties !== undefined) {
    out.additional_properties = typeof s.additionalProperties === 'boolean' ? { boolean: s.additionalProperties } : { schema: schema(s.additionalProperties) };
  }
  if (s.properties) {
    out.properties = { additional_properties: Object.entries(s.properties as Record<string, Schema>).map(([name, p]) => ({ name, value: schema(p) })) };
  }
  const ext = vendorExtensions(s);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

/** x-* fields, each as gnostic's NamedAny whose value is the YAML text of the JSON value. */
function vendorExtensions(obj: Schema): Schema[] {
  return Object.entries(obj)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => ({
      name,
      value: { yaml: yaml.dump(value, { lineWidth: -1, sortKeys: true }) },
    }));
}
