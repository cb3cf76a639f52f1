// Content negotiation: what the client sent (JSON, YAML, protobuf, the patch types) and what
// it wants back (plain objects, Tables, PartialObjectMetadata).
import { errors } from '../errors.ts';
import { decodeProtobufObject, isProtobufBody } from '../protobuf/index.ts';
import { checkJsonDepth } from './limits.ts';
import { decodeYaml } from './yaml-decode.ts';

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [t, ...ps] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of ps) {
        const i = p.indexOf('=');
        if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
      }
      return { type: (t ?? '').toLowerCase(), params };
    })
    .filter((m) => m.type);
}

export type OutputKind = 'object' | 'table' | 'partial' | 'partialList';

/** The first acceptable representation in the client's order, as apiserver's negotiation picks. */
export function negotiateOutput(accept: string | undefined): OutputKind {
  for (const m of parseMediaTypes(accept)) {
    if (m.params.as) {
      if (m.params.g !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(m.params.v ?? '')) continue;
      if (m.params.as === 'Table') return 'table';
      if (m.params.as === 'PartialObjectMetadata') return 'partial';
      if (m.params.as === 'PartialObjectMetadataList') return 'partialList';
      continue;
    }
    if (
      ['application/json', 'application/yaml', '*/*', 'application/*', 'application/vnd.kubernetes.protobuf', 'application/json;stream=watch'].includes(m.type)
    )
      return 'object';
  }
  if (!accept) return 'object';
  const types = parseMediaTypes(accept);
  if (types.every((t) => t.params.as))
    throw errors.notAcceptable(`only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  return 'object';
}

export function wantsYaml(accept: string | undefined): boolean {
  const first = parseMediaTypes(accept)[0];
  return first?.type === 'application/yaml';
}

/** Decodes a create/update body into a JSON object. */
export async function decodeObjectBody(body: Buffer, contentType: string | undefined): Promise<Record<string, any>> {
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  let obj: unknown;
  if (ct === 'application/vnd.kubernetes.protobuf') {
    if (!isProtobufBody(body)) throw errors.badRequest('provided protobuf body has an invalid header');
    obj = decodeProtobufObject(body).object;
  } else if (ct === 'application/json' || ct === '' || ct === '*/*') {
    obj = parseJson(body);
  } else if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') {
    obj = await decodeYaml(body, 'error converting YAML to JSON');
  } else {
    throw errors.unsupportedMediaType(ct);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw errors.badRequest('the body of the request must be a JSON or YAML object');
  }
  return obj as Record<string, any>;
}

export function parseJson(body: Buffer | string): unknown {
  checkJsonDepth(body);
  try {
    return JSON.parse(body.toString());
  } catch (e) {
    throw errors.badRequest(`the object provided is unrecognized: ${(e as Error).message}`);
  }
}

export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
  applyCbor: 'application/apply-patch+cbor',
} as const;
