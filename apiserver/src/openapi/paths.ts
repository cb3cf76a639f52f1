// The OpenAPI v2 `paths` of the served resources, with operation ids, actions and
// parameters as kube-apiserver names them (listCoreV1NamespacedPod, patchAppsV1NamespacedDeployment, ...).
import type { ResourceDef } from '../registry/types.ts';
import { groupCamel } from './naming.ts';
import { refPrefixV2 } from './definitions.ts';
import type { GroupVersionKind, Schema } from './definitions.ts';

export type Operation = Schema;
export type PathItem = Partial<Record<'get' | 'put' | 'post' | 'delete' | 'patch', Operation>>;

/** Definition names of the kinds the operations read and write, found by the caller. */
export interface KindDefinitions {
  object: string;
  list?: string;
  scale?: string;
  eviction?: string;
  binding?: string;
  status: string;
  deleteOptions: string;
  watchEvent: string;
  patch: string;
}

const jsonYamlProtobuf = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const watchTypes = [...jsonYamlProtobuf, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
export const patchContentTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

function query(name: string, type: string, description: string, extra: Schema = {}): Schema {
  return { uniqueItems: true, type, description, name, in: 'query', ...extra };
}
const p = {
  pretty: query(
    'pretty',
    'string',
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  ),
  dryRun: query(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: query(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldValidation: query(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: query(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  ),
  gracePeriodSeconds: query(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.',
  ),
  orphanDependents: query(
    'orphanDependents',
    'boolean',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.',
  ),
  propagationPolicy: query(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  ),
  allowWatchBookmarks: query('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  continue: query('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: query('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: query('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: query('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  resourceVersion: query('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: query('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  sendInitialEvents: query(
    'sendInitialEvents',
    'boolean',
    '`sendInitialEvents=true` may be set together with `watch=true`: the watch starts with synthetic events for the current state.',
  ),
  timeoutSeconds: query('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  watch: query('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
};
const listParams = [
  p.allowWatchBookmarks,
  p.continue,
  p.fieldSelector,
  p.labelSelector,
  p.limit,
  p.resourceVersion,
  p.resourceVersionMatch,
  p.sendInitialEvents,
  p.timeoutSeconds,
  p.watch,
];
const deleteParams = [p.dryRun, p.gracePeriodSeconds, p.orphanDependents, p.propagationPolicy];
const writeParams = [p.dryRun, p.fieldManager, p.fieldValidation];

function pathParam(name: string, description: string): Schema {
  return { uniqueItems: true, type: 'string', description, name, in: 'path', required: true };
}
function body(definition: string): Schema {
  return { name: 'body', in: 'body', required: true, schema: ref(definition) };
}
function ref(definition: string): Schema {
  return { $ref: refPrefixV2 + definition };
}

function responses(codes: Record<string, string>): Schema {
  const words: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
  const out: Schema = {};
  for (const [code, def] of Object.entries(codes)) out[code] = { description: words[code], schema: ref(def) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

interface OpSpec {
  verb: string;
  action: string;
  description: string;
  gvk: GroupVersionKind;
  produces?: string[];
  consumes?: string[];
  params: Schema[];
  responses: Schema;
}

function makeOperation(def: ResourceDef, idSuffix: string, spec: OpSpec): Operation {
  const tag = `${groupCamel(def.group).replace(/^./, (c) => c.toLowerCase())}_${def.version}`;
  // custom resources speak neither protobuf nor strategic merge patch
  const served = (types: string[]) => (def.unstructured ? types.filter((t) => !t.includes('protobuf') && !t.includes('strategic')) : types);
  const op: Operation = {
    description: spec.description,
    consumes: served(spec.consumes ?? ['*/*']),
    produces: served(spec.produces ?? jsonYamlProtobuf),
    schemes: ['https'],
    tags: [tag],
    operationId: `${spec.verb}${groupCamel(def.group)}${def.version.charAt(0).toUpperCase()}${def.version.slice(1)}${idSuffix}`,
    parameters: [...spec.params, p.pretty],
    responses: spec.responses,
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': spec.gvk,
  };
  return op;
}

/** All paths of one resource, keyed by URL template. */
export function resourcePaths(def: ResourceDef, kinds: KindDefinitions): Record<string, PathItem> {
  const gv = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const gvk: GroupVersionKind = { group: def.group, version: def.version, kind: def.kind };
  const ns = def.namespaced ? '/namespaces/{namespace}' : '';
  const scope = def.namespaced ? 'Namespaced' : '';
  const nsParam = def.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParam = pathParam('name', `name of the ${def.kind}`);
  const collection = `${gv}${ns}/${def.resource}`;
  const item = `${collection}/{name}`;
  const K = def.kind;
  const out: Record<string, PathItem> = {};
  const list = kinds.list ?? kinds.object;

  out[collection] = {
    get: makeOperation(def, `${scope}${K}`, {
      verb: 'list',
      action: 'list',
      gvk,
      description: `list or watch objects of kind ${K}`,
      produces: watchTypes,
      params: [...nsParam, ...listParams],
      responses: responses({ '200': list }),
    }),
    post: makeOperation(def, `${scope}${K}`, {
      verb: 'create',
      action: 'post',
      gvk,
      description: `create a ${K}`,
      params: [...nsParam, body(kinds.object), ...writeParams],
      responses: responses({ '200': kinds.object, '201': kinds.object, '202': kinds.object }),
    }),
    delete: makeOperation(def, `Collection${scope}${K}`, {
      verb: 'delete',
      action: 'deletecollection',
      gvk,
      description: `delete collection of ${K}`,
      params: [
        ...nsParam,
        { ...body(kinds.deleteOptions), required: false },
        ...deleteParams,
        ...listParams.filter((x) => x.name !== 'watch' && x.name !== 'allowWatchBookmarks'),
      ],
      responses: responses({ '200': kinds.status }),
    }),
  };
  out[item] = {
    get: makeOperation(def, `${scope}${K}`, {
      verb: 'read',
      action: 'get',
      gvk,
      description: `read the specified ${K}`,
      params: [nameParam, ...nsParam],
      responses: responses({ '200': kinds.object }),
    }),
    put: makeOperation(def, `${scope}${K}`, {
      verb: 'replace',
      action: 'put',
      gvk,
      description: `replace the specified ${K}`,
      params: [nameParam, ...nsParam, body(kinds.object), ...writeParams],
      responses: responses({ '200': kinds.object, '201': kinds.object }),
    }),
    patch: makeOperation(def, `${scope}${K}`, {
      verb: 'patch',
      action: 'patch',
      gvk,
      description: `partially update the specified ${K}`,
      consumes: patchContentTypes,
      params: [nameParam, ...nsParam, body(kinds.patch), ...writeParams, p.force],
      responses: responses({ '200': kinds.object, '201': kinds.object }),
    }),
    delete: makeOperation(def, `${scope}${K}`, {
      verb: 'delete',
      action: 'delete',
      gvk,
      description: `delete a ${K}`,
      params: [nameParam, ...nsParam, { ...body(kinds.deleteOptions), required: false }, ...deleteParams],
      responses: responses({ '200': kinds.object, '202': kinds.object }),
    }),
  };
  out[`${gv}/watch${ns}/${def.resource}`] = {
    get: makeOperation(def, `${scope}${K}List`, {
      verb: 'watch',
      action: 'watchlist',
      gvk,
      description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`,
      produces: watchTypes,
      params: [...nsParam, ...listParams],
      responses: responses({ '200': kinds.watchEvent }),
    }),
  };
  out[`${gv}/watch${ns}/${def.resource}/{name}`] = {
    get: makeOperation(def, `${scope}${K}`, {
      verb: 'watch',
      action: 'watch',
      gvk,
      description: `watch changes to an object of kind ${K}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
      produces: watchTypes,
      params: [nameParam, ...nsParam, ...listParams],
      responses: responses({ '200': kinds.watchEvent }),
    }),
  };
  if (def.namespaced) {
    out[`${gv}/${def.resource}`] = {
      get: makeOperation(def, `${K}ForAllNamespaces`, {
        verb: 'list',
        action: 'list',
        gvk,
        description: `list or watch objects of kind ${K}`,
        produces: watchTypes,
        params: listParams,
        responses: responses({ '200': list }),
      }),
    };
    out[`${gv}/watch/${def.resource}`] = {
      get: makeOperation(def, `${K}ListForAllNamespaces`, {
        verb: 'watch',
        action: 'watchlist',
        gvk,
        description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`,
        produces: watchTypes,
        params: listParams,
        responses: responses({ '200': kinds.watchEvent }),
      }),
    };
  }
  for (const sub of def.subresources ?? []) Object.assign(out, subresourcePaths(def, sub, item, kinds, nameParam, nsParam, scope));
  return out;
}

function subresourcePaths(
  def: ResourceDef,
  sub: string,
  item: string,
  kinds: KindDefinitions,
  nameParam: Schema,
  nsParam: Schema[],
  scope: string,
): Record<string, PathItem> {
  const K = def.kind;
  const Sub = sub.charAt(0).toUpperCase() + sub.slice(1);
  const path = `${item}/${sub}`;
  const readWrite = (object: string, gvk: GroupVersionKind): PathItem => ({
    get: makeOperation(def, `${scope}${K}${Sub}`, {
      verb: 'read',
      action: 'get',
      gvk,
      description: `read ${sub} of the specified ${K}`,
      params: [nameParam, ...nsParam],
      responses: responses({ '200': object }),
    }),
    put: makeOperation(def, `${scope}${K}${Sub}`, {
      verb: 'replace',
      action: 'put',
      gvk,
      description: `replace ${sub} of the specified ${K}`,
      params: [nameParam, ...nsParam, body(object), ...writeParams],
      responses: responses({ '200': object, '201': object }),
    }),
    patch: makeOperation(def, `${scope}${K}${Sub}`, {
      verb: 'patch',
      action: 'patch',
      gvk,
      description: `partially update ${sub} of the specified ${K}`,
      consumes: patchContentTypes,
      params: [nameParam, ...nsParam, body(kinds.patch), ...writeParams, p.force],
      responses: responses({ '200': object, '201': object }),
    }),
  });
  const create = (object: string, gvk: GroupVersionKind): PathItem => ({
    post: makeOperation(def, `${scope}${K}${Sub}`, {
      verb: 'create',
      action: 'post',
      gvk,
      description: `create ${sub} of a ${K}`,
      params: [nameParam, ...nsParam, body(object), ...writeParams],
      responses: responses({ '200': object, '201': object, '202': object }),
    }),
  });
  const ownGvk = { group: def.group, version: def.version, kind: K };
  switch (sub) {
    case 'status':
      return { [path]: readWrite(kinds.object, ownGvk) };
    case 'scale':
      return kinds.scale ? { [path]: readWrite(kinds.scale, { group: 'autoscaling', version: 'v1', kind: 'Scale' }) } : {};
    case 'eviction':
      return kinds.eviction ? { [path]: create(kinds.eviction, { group: 'policy', version: 'v1', kind: 'Eviction' }) } : {};
    case 'binding':
      return kinds.binding ? { [path]: create(kinds.binding, { group: '', version: 'v1', kind: 'Binding' }) } : {};
    default:
      return {}; // connect subresources (log, exec, ...) carry no schema
  }
}
