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
export type Encoding = 'json' | 'yaml' | 'protobuf';

/** What a response is written as: the representation and its encoding, chosen from Accept. */
export interface ResponseFormat {
  as: OutputKind;
  encoding: Encoding;
  /**
   * With protobuf: what the rest of Accept allows without it, for a kind that has no protobuf
   * form (custom resources, Tables); absent when nothing else is acceptable.
   */
  fallback?: ResponseFormat;
}

const ACCEPTED = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';

function encodingOf(type: string): Encoding | undefined {
  switch (type) {
    case 'application/json':
    case '*/*':
    case 'application/*':
      return 'json';
    case 'application/yaml':
      return 'yaml';
    case 'application/vnd.kubernetes.protobuf':
      return 'protobuf';
    default:
      return undefined;
  }
}

/** The representation an `as=` parameter asks for, if this server serves it. */
function transformOf(params: Record<string, string>): OutputKind | undefined {
  if (!params.as) return 'object';
  if (params.g !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(params.v ?? '')) return undefined;
  if (params.as === 'Table') return 'table';
  if (params.as === 'PartialObjectMetadata') return 'partial';
  if (params.as === 'PartialObjectMetadataList') return 'partialList';
  return undefined;
}

function firstAcceptable(types: MediaType[]): ResponseFormat | undefined {
  for (let i = 0; i < types.length; i++) {
    const m = types[i]!;
    const encoding = encodingOf(m.type);
    const as = encoding && transformOf(m.params);
    if (!encoding || !as) continue;
    // a Table has no protobuf form (+protobuf=false in meta/v1)
    if (encoding === 'protobuf' && as === 'table') continue;
    if (encoding !== 'protobuf') return { as, encoding };
    const fallback = firstAcceptable(types.slice(i + 1).filter((t) => encodingOf(t.type) !== 'protobuf'));
    return fallback ? { as, encoding, fallback } : { as, encoding };
  }
  return undefined;
}

/** The first acceptable representation in the client's order, as apiserver's negotiation picks. */
export function negotiateFormat(accept: string | undefined): ResponseFormat {
  const types = parseMediaTypes(accept);
  const chosen = firstAcceptable(types);
  if (chosen) return chosen;
  // Only transformations we do not serve: refuse. Anything else (text/html, a bare browser)
  // gets JSON, which every client of the API reads.
  if (types.length > 0 && types.every((t) => t.params.as)) throw errors.notAcceptable(`only the following media types are accepted: ${ACCEPTED}`);
  return { as: 'object', encoding: 'json' };
}

/** The format when protobuf cannot be written: the fallback Accept allows, or 406. */
export function withoutProtobuf(format: ResponseFormat): ResponseFormat {
  if (format.encoding !== 'protobuf') return format;
  if (format.fallback) return format.fallback;
  throw errors.notAcceptable(`only the following media types are accepted: application/json, application/yaml`);
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
