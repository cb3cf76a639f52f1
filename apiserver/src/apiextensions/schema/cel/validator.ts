// Evaluating x-kubernetes-validations over a custom resource (apiextensions
// pkg/apiserver/schema/cel/validation.go): rules run where they are declared, with `self` the
// value there and `oldSelf` the correlated old value on update (transition rules are skipped when
// there is none: on create, or for items of lists that are not list-type=map). Errors read as
// Kubernetes words them. A cost budget per object bounds the work, so that no rule can hold the
// event loop: each evaluation is charged, before it runs, its AST size times (the longest list or
// map in self)^(comprehension depth) - each nested comprehension ranges over at most that many
// elements - or AST size plus the size of self for a rule without comprehensions.
import { isDeepStrictEqual } from 'node:util';
import { Optional } from '@marcbachmann/cel-js';
import { type FieldError, fieldErrorMessage } from '../../../errors.ts';
import type { JSONSchemaProps } from '../index.ts';
import { isObject, itemsSchema, schemaTypeName } from '../node.ts';
import { childPath, indexPath, keyPath, shownPath } from '../paths.ts';
import { correlateMapItem } from '../ratcheting.ts';
import { unboundedCardinality } from './cost.ts';
import { type CompiledRule, compileRules, costFactor, perSchemaCostLimit } from './rules.ts';
import { CelConverter } from './values.ts';

/**
 * The budget of one object's validation, in the units of the static estimate (AST nodes per
 * iteration). Kubernetes allows 10M (RuntimeCELCostBudget) for cel-go; the JavaScript evaluator
 * takes about 0.5-1 µs per comprehension step, so 1M units keep the worst object near 0.1-0.2 s.
 */
export const runtimeCostBudget = 1_000_000;

interface CelNode {
  schema: JSONSchemaProps;
  isResource: boolean;
  rules: CompiledRule[];
  /** rules that did not compile: reported on every object, as Kubernetes does for a stored broken CRD */
  compileErrors: string[];
  props: Map<string, CelNode>;
  additional?: CelNode;
  items?: CelNode;
}

export interface CelTree {
  root?: CelNode;
  errors: FieldError[];
}

/** Compiles every rule of the schema; `path` is where the schema sits in the CRD, for its errors. */
export function buildCelTree(s: JSONSchemaProps, path: string): CelTree {
  const errors: FieldError[] = [];
  let total = 0;
  let overRuleLimit = false;
  const build = (node: JSONSchemaProps, p: string, isResource: boolean, cardinality: number): CelNode | undefined => {
    const { rules, errors: ruleErrors, costErrors } = compileRules(node, p, isResource);
    errors.push(...ruleErrors, ...costErrors);
    overRuleLimit ||= costErrors.length > 0;
    for (const r of rules) total += r.estimatedCost * cardinality;
    const out: CelNode = {
      schema: node,
      isResource,
      rules,
      compileErrors: ruleErrors.map((e) => e.detail ?? ''),
      props: new Map(),
    };
    let any = rules.length > 0 || ruleErrors.length > 0;
    for (const [k, prop] of Object.entries(node.properties ?? {})) {
      const c = build(prop, keyPath(childPath(p, 'properties'), k), prop['x-kubernetes-embedded-resource'] === true, cardinality);
      if (c) {
        out.props.set(k, c);
        any = true;
      }
    }
    if (isObject(node.additionalProperties)) {
      const extra = node.additionalProperties as JSONSchemaProps;
      const c = build(extra, childPath(p, 'additionalProperties'), extra['x-kubernetes-embedded-resource'] === true, grow(cardinality, node.maxProperties));
      if (c) {
        out.additional = c;
        any = true;
      }
    }
    const items = itemsSchema(node);
    if (items) {
      const c = build(items, childPath(p, 'items'), items['x-kubernetes-embedded-resource'] === true, grow(cardinality, node.maxItems));
      if (c) {
        out.items = c;
        any = true;
      }
    }
    return any ? out : undefined;
  };
  const root = build(s, path, true, 1);
  // A rule over its own limit already explains a total over the schema's.
  if (total > perSchemaCostLimit && !overRuleLimit) {
    errors.push({
      type: 'FieldValueForbidden',
      field: path,
      detail: `x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of ${costFactor(total, perSchemaCostLimit)} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
    });
  }
  return { root, errors };
}

/** How many times a node's rules can run: nested unbounded lists still share one 3 MiB request. */
function grow(cardinality: number, bound: number | undefined): number {
  return Math.min(unboundedCardinality, cardinality * (bound ?? unboundedCardinality));
}

interface EvalState {
  /** ratcheted failures, for Warning headers */
  warnings?: string[];
  conv: CelConverter;
  oldConv: CelConverter;
  budget: number;
  stopped: boolean;
  errors: FieldError[];
}

export function validateCel(tree: CelTree, obj: unknown, old: unknown, warnings?: string[]): FieldError[] {
  if (!tree.root) return [];
  const st: EvalState = { conv: new CelConverter(), oldConv: new CelConverter(), budget: runtimeCostBudget, stopped: false, errors: [], warnings };
  // The evaluator builds an Error for every absorbed error (`a || b` where b fails, exists() over
  // items without the field): capturing their stacks was two thirds of the evaluation time. The
  // walk is synchronous, so no other code runs with the limit lowered.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    walk(tree.root, obj, old, old !== undefined, '', st, false);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return st.errors;
}

/**
 * `parentUnchanged` carries ratcheting to nodes without an old counterpart (items of lists that are
 * not list-type=map): their errors are dropped when the nearest correlated ancestor is unchanged.
 */
function walk(node: CelNode, x: unknown, old: unknown, hasOld: boolean, path: string, st: EvalState, parentUnchanged: boolean | (() => boolean)): void {
  // Only non-null values are validated; a rule about presence belongs on the parent.
  if (x === null || x === undefined || st.stopped) return;
  if (hasOld && (old === null || old === undefined)) hasOld = false;
  // Computed only when a rule fails: comparing every node would cost more than the rules.
  let memo: boolean | undefined;
  const unchanged = () => (memo ??= hasOld ? isDeepStrictEqual(x, old) : typeof parentUnchanged === 'function' ? parentUnchanged() : parentUnchanged);
  evaluateRules(node, x, old, hasOld, path, st, unchanged);
  if (isObject(x)) {
    const oldObj = hasOld && isObject(old) ? old : undefined;
    // Only the children whose subtree has rules: most of an object has none.
    for (const [k, child] of node.props) {
      const v = x[k];
      if (v !== undefined) walk(child, v, oldObj?.[k], oldObj !== undefined && k in oldObj, childPath(path, k), st, unchanged);
    }
    if (node.additional) {
      const declared = node.schema.properties;
      for (const k in x) {
        if (declared?.[k]) continue;
        walk(node.additional, x[k], oldObj?.[k], oldObj !== undefined && k in oldObj, keyPath(path, k), st, unchanged);
      }
    }
  } else if (Array.isArray(x) && node.items) {
    const keys = node.schema['x-kubernetes-list-type'] === 'map' ? (node.schema['x-kubernetes-list-map-keys'] ?? []) : undefined;
    const oldList = hasOld && keys && Array.isArray(old) ? old : undefined;
    x.forEach((v, i) => {
      const prev = oldList ? correlateMapItem(v, oldList, keys!) : undefined;
      walk(node.items!, v, prev, prev !== undefined, indexPath(path, i), st, unchanged);
    });
  }
}

function ruleErrorString(r: CompiledRule): string {
  return r.rule.message?.trim() || r.rule.rule.trim();
}

function ruleMessageOrDefault(r: CompiledRule): string {
  return r.rule.message?.trim() || `failed rule: ${r.rule.rule.trim()}`;
}

/** cel-go's runtime errors are lower-case (`no such key: foo`). */
function runtimeMessage(err: unknown): string {
  const msg = ((err as { summary?: string }).summary ?? (err as Error).message ?? String(err)).split('\n')[0]!;
  return msg.charAt(0).toLowerCase() + msg.slice(1);
}

/**
 * The bad value a failed rule reports: scalars as they are; objects and lists by their type name,
 * since Kubernetes omits structured values from these messages.
 */
function shownValue(x: unknown, s: JSONSchemaProps): unknown {
  return typeof x === 'object' && x !== null ? schemaTypeName(s) || (Array.isArray(x) ? 'array' : 'object') : x;
}

function evaluateRules(node: CelNode, x: unknown, old: unknown, hasOld: boolean, at0: string, st: EvalState, unchanged: () => boolean): void {
  // The resource root has no name: Kubernetes prints its nil field.Path as <nil>.
  const path = shownPath(at0);
  const typeName = schemaTypeName(node.schema);
  for (const msg of node.compileErrors) st.errors.push({ type: 'FieldValueInvalid', field: path, value: typeName, detail: `rule compile error: ${msg}` });
  if (node.rules.length === 0) return;
  const self = st.conv.convert(x, node.schema, node.isResource);
  let oldSelf: { value: unknown } | undefined;
  for (const r of node.rules) {
    if (st.stopped) return;
    if (r.usesOldSelf && !hasOld && !r.rule.optionalOldSelf) continue;
    const charge = r.depth > 0 ? r.baseCost * Math.max(1, self.maxLen) ** r.depth : r.baseCost + self.size;
    if (charge > st.budget) {
      st.errors.push({
        type: 'FieldValueInvalid',
        field: path,
        value: typeName,
        detail: 'validation failed due to running out of cost budget, no further validation rules will be run',
      });
      st.stopped = true;
      return;
    }
    st.budget -= charge;
    const ctx: Record<string, unknown> = { self: self.value };
    if (r.usesOldSelf) {
      if (hasOld) oldSelf ??= { value: st.oldConv.convert(old, node.schema, node.isResource).value };
      ctx.oldSelf = r.rule.optionalOldSelf ? (hasOld ? Optional.of(oldSelf!.value) : Optional.none()) : oldSelf?.value;
    }
    let result: unknown;
    try {
      result = r.program(ctx);
    } catch (err) {
      const msg = runtimeMessage(err);
      // Overload errors at run time come from values whose type the schema leaves open (int-or-string,
      // preserve-unknown-fields) or that fail schema validation; Kubernetes words them apart.
      const detail = msg.startsWith('no such overload')
        ? `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(r)}`
        : `${msg} evaluating rule: ${ruleErrorString(r)}`;
      st.errors.push({ type: 'FieldValueInvalid', field: path, value: typeName, detail });
      continue;
    }
    if (result === true) continue;
    // Ratcheting: a rule that does not look at oldSelf may not fail a value that did not change;
    // Kubernetes turns such a failure into a warning.
    const ratcheted = !r.usesOldSelf && unchanged();
    const at = r.fieldPath ? childPath(at0, r.fieldPath) : path;
    let detail = ruleMessageOrDefault(r);
    if (r.messageProgram) {
      try {
        const m = r.messageProgram(ctx);
        // An empty or multi-line message falls back to the static one, as Kubernetes does.
        if (typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m)) detail = m;
      } catch {
        // a failing messageExpression is logged by Kubernetes and the static message used
      }
    }
    const report = (e: FieldError) => {
      if (!ratcheted) st.errors.push(e);
      else st.warnings?.push(fieldErrorMessage(e));
    };
    const value = shownValue(x, node.schema);
    switch (r.rule.reason) {
      case 'FieldValueForbidden':
        report({ type: 'FieldValueForbidden', field: at, detail });
        break;
      case 'FieldValueRequired':
        report({ type: 'FieldValueRequired', field: at, detail });
        break;
      case 'FieldValueDuplicate':
        report({ type: 'FieldValueDuplicate', field: at, value });
        break;
      default:
        report({ type: 'FieldValueInvalid', field: at, value, detail });
    }
  }
}
