// core/v1 PodTemplate: a named pod template (kubectl's own tests and old manifests use it).
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validatePodTemplateSpec } from '../validation/pod-spec.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { defaultPodSpec } from './shared/pod-defaults.ts';

export const podtemplates: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PodTemplate',
  resource: 'podtemplates',
  singular: 'podtemplate',
  namespaced: true,

  defaults(obj) {
    // the template is a struct in Go: an absent one is an empty one, defaulted and validated
    obj.template ??= {};
    obj.template.spec ??= {};
    defaultPodSpec(obj.template.spec);
  },

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validatePodTemplateSpec(obj.template, 'template')];
  },
};
