// `?labelSelector=` and `?fieldSelector=` for list and watch: the shared parsers and matcher
// (common/src/apimachinery), with a malformed selector answered as 400 Bad Request.
import { fieldRequirementsMatch, parseFieldSelector as parseFields, type FieldRequirement } from '@skiff/common/apimachinery/field-selector';
import {
  type Labels,
  type LabelSelectorObject,
  parseSelector,
  type Requirement,
  type Selector,
  requirementsMatch,
  SelectorError,
  selectorFromObject,
} from '@skiff/common/apimachinery/label-selector';
import { errors } from '../errors.ts';

function badRequestOnSelectorError<T>(parse: () => T, prefix = ''): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(`${prefix}${e.message}`);
    throw e;
  }
}

/** The requirements of a label selector string; 400 when it does not parse. */
export function parseLabelSelector(input: string): readonly Requirement[] {
  return badRequestOnSelectorError(() => parseSelector(input).requirements, 'unable to parse requirement: ');
}

export function matchesLabels(requirements: readonly Requirement[], labels: Labels): boolean {
  return requirementsMatch(requirements, labels);
}

/** The requirements of a field selector string; 400 when it does not parse. */
export function parseFieldSelector(input: string): readonly FieldRequirement[] {
  return badRequestOnSelectorError(() => parseFields(input).requirements);
}

export function matchesFields(requirements: readonly FieldRequirement[], fields: Record<string, string>): boolean {
  return fieldRequirementsMatch(requirements, fields);
}

/** metav1.LabelSelectorAsSelector; 400 when the selector is invalid. */
export function fromLabelSelectorObject(sel: LabelSelectorObject | undefined): Selector {
  return badRequestOnSelectorError(() => selectorFromObject(sel ?? {}));
}

/** labels.Selector.String(), as Scale.status.selector carries it. */
export function labelSelectorToString(sel: Selector): string {
  return sel.toString();
}
