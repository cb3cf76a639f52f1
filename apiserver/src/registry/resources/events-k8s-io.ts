// events.k8s.io/v1 Event: a different view of core/v1 Event, stored as one under `events`.
import { normaliseMicroTime } from './shared/micro-time.ts';
import { field } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { events as coreEvents, eventTypes, validateInvolvedNamespace } from './events.ts';

/** [events.k8s.io field, core/v1 field]: the same data under two names. */
const renamed: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
/** Same name in both versions. */
const shared = ['metadata', 'eventTime', 'series', 'related', 'action', 'reason', 'type', 'reportingInstance'];

function move(from: KObject, fromKeys: string[], to: KObject, toKeys: string[]): void {
  fromKeys.forEach((k, i) => {
    if (from[k] !== undefined && from[k] !== null) to[toKeys[i]] = from[k];
  });
}

export function eventToCore(obj: KObject): KObject {
  const out: KObject = { apiVersion: 'v1', kind: 'Event', metadata: obj.metadata };
  move(obj, shared, out, shared);
  move(
    obj,
    renamed.map(([n]) => n),
    out,
    renamed.map(([, o]) => o),
  );
  return out;
}

export function eventFromCore(obj: KObject): KObject {
  const out: KObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: obj.metadata };
  move(obj, shared, out, shared);
  move(
    obj,
    renamed.map(([, o]) => o),
    out,
    renamed.map(([n]) => n),
  );
  // zero times in core events read as null in the new API
  for (const k of ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp']) if (out[k] === '0001-01-01T00:00:00Z') delete out[k];
  return out;
}

const maxNoteBytes = 1024;

export const eventsK8sIo: ResourceDef = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  resource: 'events',
  singular: 'event',
  shortNames: ['ev'],
  ttlSeconds: (config) => config.eventTtlSeconds,
  namespaced: true,
  allowCreateOnUpdate: true,
  storageResource: 'events',

  toStorage: eventToCore,
  // runs on the stored (core) form, after toStorage
  defaults(obj) {
    normaliseMicroTime(obj, 'eventTime');
    normaliseMicroTime(obj, 'series', 'lastObservedTime');
  },
  fromStorage: eventFromCore,

  /** Runs on the stored (core/v1) form: the store converts before it calls hooks. */
  validate(obj) {
    const core = obj.involvedObject !== undefined || obj.regarding === undefined ? obj : eventToCore(obj);
    const out = validateMetaFor(core, true, nameIsDnsSubdomain);
    out.push(...validateInvolvedNamespace(core, 'regarding', core.involvedObject));
    if (!core.eventTime) out.push(field.required('eventTime'));
    if (!core.reportingComponent) out.push(field.required('reportingController'));
    if (!core.reportingInstance) out.push(field.required('reportingInstance'));
    if (!core.action) out.push(field.required('action'));
    if (!core.reason) out.push(field.required('reason'));
    if (!eventTypes.includes(core.type)) out.push(field.notSupported('type', core.type ?? '', eventTypes));
    if (core.message && Buffer.byteLength(core.message) > maxNoteBytes) out.push(field.tooLong('note', '', maxNoteBytes));
    return out;
  },

  selectableFields: coreEvents.selectableFields,
};
