// networking.k8s.io/v1 IngressClass: which controller carries out the Ingresses of a class.
// The annotation ingressclass.kubernetes.io/is-default-class marks the class an Ingress
// without spec.ingressClassName belongs to. Rules as pkg/apis/networking/validation.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { checkDns1123Label, checkDns1123Subdomain, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';
import { validateTypedLocalRef } from './ingresses.ts';

export const defaultIngressClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
const maxControllerLength = 250;
const parameterScopes = ['Cluster', 'Namespace'];
const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

/** IsDomainPrefixedPath: `example.com/some-path`. */
function validateController(controller: string): FieldError[] {
  const path = 'spec.controller';
  if (!controller) return [field.required(path)];
  if (controller.length > maxControllerLength) return [field.tooLong(path, '', maxControllerLength)];
  const slash = controller.indexOf('/');
  const host = controller.slice(0, slash);
  const rest = controller.slice(slash + 1);
  if (slash <= 0 || rest.length === 0) return [field.invalid(path, controller, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const out = checkDns1123Subdomain(host).map((m) => field.invalid(path, host, m));
  if (!new RegExp(`^${httpPathFmt}$`).test(rest)) {
    out.push(field.invalid(path, rest, `Invalid path (regex used for validation is '${httpPathFmt}')`));
  }
  return out;
}

function validateParameters(params: any): FieldError[] {
  if (params == null) return [];
  const path = 'spec.parameters';
  const out = validateTypedLocalRef(params, path);
  if (params.scope == null) return [...out, field.required(`${path}.scope`)];
  if (!parameterScopes.includes(params.scope)) out.push(field.notSupported(`${path}.scope`, params.scope, parameterScopes));
  if (params.scope === 'Namespace') {
    if (params.namespace == null) out.push(field.required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else out.push(...checkDns1123Label(String(params.namespace)).map((m) => field.invalid(`${path}.namespace`, params.namespace, m)));
  }
  if (params.scope === 'Cluster' && params.namespace != null) out.push(field.forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  return out;
}

export const ingressclasses: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  resource: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,

  defaults(obj) {
    const params = obj.spec?.parameters;
    if (params && params.scope == null) params.scope = 'Cluster';
  },

  validate(obj) {
    return [...validateMetaFor(obj, false, nameIsDnsSubdomain), ...validateController(obj.spec?.controller ?? ''), ...validateParameters(obj.spec?.parameters)];
  },

  validateUpdate(obj, old) {
    return validateImmutable(obj.spec?.controller, old.spec?.controller, 'spec.controller');
  },
};
