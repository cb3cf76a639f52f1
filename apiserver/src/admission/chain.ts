// The admission chain, as kube-apiserver runs it: every enabled plugin's `admit` in order (the
// mutating phase, after decode and defaults: pipeline/mutating-admission.ts), then the
// strategy's validation, then every `validate` (the validating phase, run by the store:
// pipeline/validating-admission.ts). A request's RequestAdmission comes from
// handlers/context.ts admissionOf, so create, update, patch, apply, delete and the subresources
// all pass the same two calls; CONNECT (exec, attach, portforward) runs both phases before the
// proxy opens the stream (server/api-handler.ts connectAdmission).
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin, AdmissionServices } from './interface.ts';

/** What a handler knows about the request; each phase adds the operation and the objects. */
export interface AdmissionRequest {
  group: string;
  version: string;
  resource: string;
  kind: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user: UserInfo;
  dryRun: boolean;
  /** the response's Warning list; plugins' warnings land here */
  warnings: string[];
  /** where plugins' audit annotations land (the request's audit event); a private record by default */
  auditAnnotations?: Record<string, string>;
}

/** The two phases for one request: `admit` after decode and defaults, `validate` after the strategy's validation. */
export interface RequestAdmission {
  /** mutating phase: plugins may change `object` in place */
  admit(operation: AdmissionOperation, object: KObject | undefined, oldObject: KObject | undefined): Promise<void>;
  /** validating phase: after the strategy's validation */
  validate(operation: AdmissionOperation, object: KObject | undefined, oldObject: KObject | undefined): Promise<void>;
}

/** Subresources whose writes Kubernetes admits as CREATE of a new object (a Binding, an Eviction). */
const createSubresources = new Set(['binding', 'eviction']);
/** Subresources admitted as CONNECT (pods/log is a GET, not admitted). */
export const connectSubresources = new Set(['exec', 'attach', 'portforward', 'proxy']);

export class AdmissionChain {
  readonly plugins: readonly AdmissionPlugin[];
  private readonly services: AdmissionServices;

  constructor(plugins: readonly AdmissionPlugin[], registry: ApiRegistry) {
    this.plugins = plugins;
    this.services = { registry };
  }

  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  forRequest(req: AdmissionRequest): RequestAdmission {
    const auditAnnotations: Record<string, string> = req.auditAnnotations ?? {};
    const attrs = (operation: AdmissionOperation, object: KObject | undefined, oldObject: KObject | undefined): AdmissionAttributes => {
      const sub = req.subresource ?? '';
      const meta = object?.metadata ?? oldObject?.metadata;
      return {
        operation: createSubresources.has(sub) ? 'CREATE' : operation,
        group: req.group,
        version: req.version,
        resource: req.resource,
        subresource: sub,
        kind: req.kind,
        namespace: meta?.namespace ?? req.namespace ?? '',
        name: meta?.name ?? req.name ?? '',
        object,
        oldObject,
        user: req.user,
        dryRun: req.dryRun,
        warnings: req.warnings,
        auditAnnotations,
      };
    };
    return {
      admit: (op, obj, old) => this.run('admit', attrs(op, obj, old)),
      validate: (op, obj, old) => this.run('validate', attrs(op, obj, old)),
    };
  }

  private async run(phase: 'admit' | 'validate', attrs: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) {
      const step = plugin[phase];
      if (!step || !plugin.operations.includes(attrs.operation)) continue;
      await step.call(plugin, attrs, this.services);
    }
  }
}
