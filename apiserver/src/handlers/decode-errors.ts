// Kubernetes' words for a request body that cannot become the endpoint's kind, as the
// apiserver's transformDecodeError and the scheme's converter put them:
//   `the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: ...`
//   `ConfigMap in version "v1" cannot be handled as a Pod: converting (v1.ConfigMap) to (core.Pod): unknown conversion`
//   `Widget in version "v1" cannot be handled as a Pod: no kind "Widget" is registered for version "v1" in scheme "..."`
import { type ApiError, errors } from '../errors.ts';
import { hasClientModel } from '../openapi/client-models.ts';
import { classCandidates, groupPackageWord } from '../openapi/naming.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import { goJsonSyntaxError } from './go-json-syntax.ts';

const schemeName = 'pkg/api/legacyscheme/scheme.go:30';
const kindProbeType = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** apimachinery's summarizeData: a JSON object's first bytes as text, anything else in hex. */
function summarize(body: Buffer, max = 30): string {
  if (body.length === 0) return '<empty>';
  const more = body.length > max ? ' ...' : '';
  const head = body.subarray(0, max);
  return body[0] === 0x7b ? `${head.toString()}${more}` : `${head.toString('hex')}${more}`;
}

/**
 * Why a JSON body does not even name a kind, in Go's words, or undefined if it does: a syntax
 * error as encoding/json's scanner reports it, or a top-level value that is not an object.
 */
export function jsonKindProblem(body: Buffer): string | undefined {
  const text = body.toString();
  const syntax = goJsonSyntaxError(text);
  if (syntax) return syntax;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || (typeof value === 'object' && !Array.isArray(value))) return undefined;
  const goType = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
  return `json: cannot unmarshal ${goType} into Go value of type ${kindProbeType}`;
}

/** The 400 for a body whose kind cannot be read at all. */
export function unrecognizedObject(expectedKind: string, problem: string, body: Buffer): ApiError {
  return errors.badRequest(
    `the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: ${problem} (${summarize(body)})`,
  );
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Whether Kubernetes knows the kind at that group/version: one we serve, or one of its API types. */
function isRegisteredKind(registry: ApiRegistry, group: string, version: string, kind: string): boolean {
  if (registry.defs.some((d) => d.group === group && d.version === version && d.kind === kind)) return true;
  return classCandidates(group, version, kind).some((c) => hasClientModel(c));
}

/** The 400 for a body of another kind than the endpoint's (`expectedApiVersion` is the endpoint's). */
export function wrongKind(registry: ApiRegistry, dataApiVersion: string, dataKind: string, expectedApiVersion: string, expectedKind: string): ApiError {
  const data = splitApiVersion(dataApiVersion);
  const target = splitApiVersion(expectedApiVersion);
  const why = isRegisteredKind(registry, data.group, data.version, dataKind)
    ? `converting (${data.version}.${dataKind}) to (${groupPackageWord(target.group)}.${expectedKind}): unknown conversion`
    : `no kind "${dataKind}" is registered for version "${dataApiVersion}" in scheme "${schemeName}"`;
  return errors.badRequest(`${dataKind} in version "${data.version}" cannot be handled as a ${expectedKind}: ${why}`);
}
