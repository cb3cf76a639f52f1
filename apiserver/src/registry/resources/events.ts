// core/v1 Event. events.k8s.io/v1 Events are stored in the same place (see events-k8s-io.ts).
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { normaliseMicroTime } from './shared/micro-time.ts';

/** Cluster-scoped objects' events live in `default`; otherwise an event sits in its object's namespace. */
export function validateInvolvedNamespace(obj: KObject, involvedPath: string, involved: any): FieldError[] {
  const ns = obj.metadata.namespace;
  if (involved?.namespace && involved.namespace !== ns) {
    return [field.invalid(`${involvedPath}.namespace`, involved.namespace, 'does not match event.namespace')];
  }
  return [];
}

export const eventTypes = ['Normal', 'Warning'];

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  resource: 'events',
  singular: 'event',
  shortNames: ['ev'],
  ttlSeconds: (config) => config.eventTtlSeconds,
  namespaced: true,
  allowCreateOnUpdate: true,

  defaults(obj) {
    normaliseMicroTime(obj, 'eventTime');
    normaliseMicroTime(obj, 'series', 'lastObservedTime');
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    out.push(...validateInvolvedNamespace(obj, 'involvedObject', obj.involvedObject));
    return out;
  },

  selectableFields(obj) {
    const io = obj.involvedObject ?? obj.regarding ?? {};
    return {
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: obj.reason ?? '',
      reportingComponent: obj.reportingComponent ?? obj.reportingController ?? '',
      source: obj.source?.component ?? obj.deprecatedSource?.component ?? '',
      type: obj.type ?? '',
    };
  },
};
