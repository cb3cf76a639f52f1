// Compiling one schema node's x-kubernetes-validations: parse and type-check each rule (and its
// messageExpression) once, refuse what Kubernetes refuses at CRD create (syntax and type errors,
// unknown functions, fields the schema does not declare, non-bool results, a bad fieldPath or
// reason, a rule whose estimated cost is over budget), and keep what evaluation needs.
import type { ASTNode } from '@marcbachmann/cel-js';
import type { FieldError } from '../../../errors.ts';
import type { JSONSchemaProps, ValidationRule } from '../index.ts';
import { isObject } from '../node.ts';
import { childPath, indexPath } from '../paths.ts';
import { astChildren, comprehensionDepth, estimateCost } from './cost.ts';
import { celEnvironment, hasFunction } from './environment.ts';
import { escapeProperty } from './values.ts';

/** k8s.io/apiserver/pkg/apis/cel: StaticEstimatedCostLimit (one rule) and StaticEstimatedCRDCostLimit (a whole schema). */
export const perRuleCostLimit = 10_000_000;
export const perSchemaCostLimit = 100_000_000;

export interface CompiledRule {
  rule: ValidationRule;
  program: (ctx: Record<string, unknown>) => unknown;
  messageProgram?: (ctx: Record<string, unknown>) => unknown;
  usesOldSelf: boolean;
  /** the normalized fieldPath, appended to the node's path in errors */
  fieldPath?: string;
  /** nesting depth of comprehensions (all, exists, map, filter...), which multiplies cost by input size */
  depth: number;
  /** AST size: the fixed part of a rule's cost */
  baseCost: number;
  /** static worst case for one evaluation (cost.ts) */
  estimatedCost: number;
}

const supportedReasons = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

function walkAst(node: ASTNode, fn: (n: ASTNode) => void): void {
  fn(node);
  for (const c of astChildren(node)) walkAst(c, fn);
}

function astSize(node: ASTNode): number {
  let n = 0;
  walkAst(node, () => n++);
  return n;
}

/** `<input>:line:column:` as cel-go prints positions. */
function position(src: string, offset: number): string {
  const before = src.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `<input>:${line}:${col}`;
}

function errorOffset(err: unknown): number {
  const e = err as { range?: { start?: number }; node?: { start?: number; pos?: number } };
  return e.range?.start ?? e.node?.start ?? e.node?.pos ?? 0;
}

function summary(err: unknown): string {
  const e = err as { summary?: string; message?: string };
  return (e.summary ?? e.message ?? String(err)).split('\n')[0]!;
}

interface ParsedExpr {
  program: (ctx: Record<string, unknown>) => unknown;
  ast: ASTNode;
  type: string;
}

/** A has() whose operand is not a plain selection chain from a variable: `has(self.list[0].f)`. */
function isGeneralHas(n: ASTNode): boolean {
  if (n.op !== 'call') return false;
  const [name, args] = n.args as [string, ASTNode[]];
  if (name !== 'has' || args.length !== 1 || args[0]!.op !== '.') return false;
  let cur: ASTNode = args[0]!;
  while (cur.op === '.' || cur.op === '.?') cur = (cur.args as [ASTNode, string])[0];
  return cur.op !== 'id';
}

/** Rewrites general has() calls to hasFunction(operand, "field"), from the source ranges of the parse. */
function rewriteHas(src: string, ast: ASTNode): string | undefined {
  const found: ASTNode[] = [];
  const visit = (n: ASTNode) => {
    if (isGeneralHas(n))
      found.push(n); // the operand stays verbatim, a nested has() is rewritten next round
    else for (const c of astChildren(n)) visit(c);
  };
  visit(ast);
  if (found.length === 0) return undefined;
  let out = src;
  for (const n of found.sort((a, b) => b.range.start - a.range.start)) {
    const sel = (n.args as [string, ASTNode[]])[1][0]!;
    const [operand, field] = sel.args as [ASTNode, string];
    const operandSrc = src.slice(operand.range.start, operand.range.end);
    out = `${out.slice(0, n.range.start)}${hasFunction}(${operandSrc}, ${JSON.stringify(field)})${out.slice(n.range.end)}`;
  }
  return out;
}

/**
 * Compiled expressions by source text. The environment is shared and types self as dyn, so a
 * rule compiles the same wherever it appears: the versions of a CRD repeat their rules, and
 * compileVersionSchema compiles again what validateCustomResourceSchema just checked.
 */
const compiledByText = new Map<string, ParsedExpr | { error: string }>();
const compiledCacheSize = 5000;

function compileExpression(src: string): ParsedExpr | { error: string } {
  let hit = compiledByText.get(src);
  if (!hit) {
    hit = compileUncached(src);
    if (compiledByText.size >= compiledCacheSize) compiledByText.delete(compiledByText.keys().next().value!);
    compiledByText.set(src, hit);
  }
  return hit;
}

function compileUncached(src: string): ParsedExpr | { error: string } {
  const env = celEnvironment();
  let parsed: ReturnType<typeof env.parse>;
  try {
    parsed = env.parse(src);
    for (let round = 0, text = rewriteHas(src, parsed.ast); text !== undefined && round < 8; round++) {
      parsed = env.parse(text);
      text = rewriteHas(text, parsed.ast);
    }
  } catch (err) {
    return { error: `ERROR: ${position(src, errorOffset(err))}: Syntax error: ${summary(err)}` };
  }
  const checked = parsed.check();
  if (!checked.valid) return { error: `ERROR: ${position(src, errorOffset(checked.error))}: ${summary(checked.error)}` };
  return { program: parsed as unknown as ParsedExpr['program'], ast: parsed.ast, type: checked.type ?? 'dyn' };
}

/** The schema of metadata as rules see it at a resource root: name and generateName only. */
const ruleMetadataSchema: JSONSchemaProps = { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } };

/**
 * Kubernetes type-checks rules against the schema, so `self.replcas` is a compile error. The
 * evaluator types self as dyn; this walk gives back the part that matters: every field selected
 * from self/oldSelf must exist in the schema where the schema is closed.
 */
function undefinedFields(src: string, ast: ASTNode, s: JSONSchemaProps, isResource: boolean): string | undefined {
  let found: string | undefined;
  const resolve = (n: ASTNode): { schema?: JSONSchemaProps; resource?: boolean } | undefined => {
    if (n.op === 'id') return n.args === 'self' || n.args === 'oldSelf' ? { schema: s, resource: isResource } : undefined;
    if (n.op !== '.' && n.op !== '.?') return undefined;
    const [base, name] = n.args as [ASTNode, string];
    const parent = resolve(base);
    if (!parent?.schema || found) return undefined;
    const ps = parent.schema;
    if (parent.resource && (name === 'apiVersion' || name === 'kind')) return { schema: { type: 'string' } };
    if (parent.resource && name === 'metadata') return { schema: ruleMetadataSchema };
    if (ps.properties && !ps['x-kubernetes-preserve-unknown-fields']) {
      const match = Object.entries(ps.properties).find(([k]) => escapeProperty(k) === name);
      if (match) return { schema: match[1], resource: match[1]['x-kubernetes-embedded-resource'] === true };
      if (typeof ps.additionalProperties !== 'object') {
        found = `ERROR: ${position(src, dotOffset(n))}: undefined field '${name}'`;
        return undefined;
      }
    }
    if (typeof ps.additionalProperties === 'object') return { schema: ps.additionalProperties };
    if (ps.type && ps.type !== 'object' && !ps['x-kubernetes-int-or-string'] && !ps['x-kubernetes-preserve-unknown-fields']) {
      found = `ERROR: ${position(src, dotOffset(n))}: type '${celTypeName(ps)}' does not support field selection`;
    }
    return undefined;
  };
  walkAst(ast, (n) => {
    if (!found && (n.op === '.' || n.op === '.?')) resolve(n);
  });
  return found;
}

/** cel-go places a selection at its dot; the parser's node position is the field name after it. */
function dotOffset(n: ASTNode): number {
  const pos = (n as { pos?: number }).pos ?? 1;
  return n.op === '.?' ? pos - 2 : pos - 1;
}

function celTypeName(s: JSONSchemaProps): string {
  switch (s.type) {
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'array':
      return 'list';
    case 'boolean':
      return 'bool';
    default:
      return s.type ?? 'dyn';
  }
}

function costFactor(cost: number, limit: number): string {
  const f = cost / limit;
  return f > 100 ? 'more than 100x' : `${f.toFixed(1)}x`;
}

/** ValidFieldPath: `.a.b`, `.a['k.e.y']`, resolved against the schema; returns the field.Path text to append. */
export function normalizeFieldPath(fp: string, s: JSONSchemaProps): { path: string } | { error: string } {
  let cur: JSONSchemaProps | undefined = s;
  let out = '';
  const re = /\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]/y;
  let at = 0;
  if (fp === '') return { error: 'unexpected end of JSON path' };
  while (at < fp.length) {
    re.lastIndex = at;
    const m = re.exec(fp);
    if (!m) return { error: `expected [ or . but got: ${fp[at]}` };
    at = re.lastIndex;
    const name = m[1] ?? m[2]!.replace(/\\(.)/g, '$1');
    if (!cur) return { error: 'does not refer to a valid field' };
    if (cur.properties) {
      const next: JSONSchemaProps | undefined = cur.properties[name];
      if (!next) return { error: 'does not refer to a valid field' };
      out = childPath(out, name);
      cur = next;
    } else if (isObject(cur.additionalProperties)) {
      out = `${out}[${name}]`;
      cur = cur.additionalProperties as JSONSchemaProps;
    } else return { error: 'does not refer to a valid field' };
  }
  return { path: out };
}

export interface RuleCompilation {
  rules: CompiledRule[];
  /** rules that cannot run */
  errors: FieldError[];
  /** rules that run but are refused at CRD create for their estimated cost */
  costErrors: FieldError[];
}

/**
 * Compiles the rules of one schema node. `path` is the node's path in the CRD
 * (`spec.versions[0].schema.openAPIV3Schema.properties[spec]`); `isResource` is true at the root
 * and for embedded resources, where apiVersion, kind and metadata.name are visible to rules.
 */
export function compileRules(s: JSONSchemaProps, path: string, isResource: boolean): RuleCompilation {
  const declared = s['x-kubernetes-validations'];
  const list = Array.isArray(declared) ? declared : [];
  const rules: CompiledRule[] = [];
  const errors: FieldError[] = [];
  const costErrors: FieldError[] = [];
  list.forEach((rule, i) => {
    const rp = indexPath(childPath(path, 'x-kubernetes-validations'), i);
    if (!isObject(rule) || typeof rule.rule !== 'string' || rule.rule.trim() === '') {
      errors.push({ type: 'FieldValueRequired', field: childPath(rp, 'rule'), detail: 'rule is not specified' });
      return;
    }
    const before = errors.length;
    if (rule.message !== undefined) {
      if (rule.message.trim() === '')
        errors.push({ type: 'FieldValueRequired', field: childPath(rp, 'message'), detail: 'message must be non-empty if specified' });
      else if (/[\r\n]/.test(rule.message)) {
        errors.push({ type: 'FieldValueInvalid', field: childPath(rp, 'message'), value: rule.message, detail: 'message must not contain line breaks' });
      }
    }
    if (rule.reason !== undefined && !supportedReasons.includes(rule.reason)) {
      errors.push({ type: 'FieldValueNotSupported', field: childPath(rp, 'reason'), value: rule.reason, supported: supportedReasons });
    }
    let fieldPath: string | undefined;
    if (rule.fieldPath !== undefined && rule.fieldPath !== '') {
      const n = normalizeFieldPath(rule.fieldPath, s);
      if ('error' in n) {
        errors.push({
          type: 'FieldValueInvalid',
          field: childPath(rp, 'fieldPath'),
          value: rule.fieldPath,
          detail: `fieldPath must be a valid path: ${n.error}`,
        });
      } else fieldPath = n.path;
    }
    const compiled = compileExpression(rule.rule);
    if ('error' in compiled) {
      errors.push({ type: 'FieldValueInvalid', field: childPath(rp, 'rule'), value: rule.rule, detail: `compilation failed: ${compiled.error}` });
      return;
    }
    const undefinedField = undefinedFields(rule.rule, compiled.ast, s, isResource);
    if (undefinedField) {
      errors.push({ type: 'FieldValueInvalid', field: childPath(rp, 'rule'), value: rule.rule, detail: `compilation failed: ${undefinedField}` });
      return;
    }
    if (compiled.type !== 'bool' && compiled.type !== 'dyn') {
      errors.push({
        type: 'FieldValueInvalid',
        field: childPath(rp, 'rule'),
        value: rule.rule,
        detail: 'compilation failed: cel expression must evaluate to a bool',
      });
      return;
    }
    let usesOldSelf = false;
    walkAst(compiled.ast, (n) => {
      if (n.op === 'id' && n.args === 'oldSelf') usesOldSelf = true;
    });
    if (rule.optionalOldSelf && !usesOldSelf) {
      errors.push({ type: 'FieldValueInvalid', field: childPath(rp, 'optionalOldSelf'), value: true, detail: 'may not be set if rule does not use oldSelf' });
    }
    let messageProgram: CompiledRule['messageProgram'];
    if (rule.messageExpression !== undefined) {
      const m = compileExpression(rule.messageExpression);
      if ('error' in m) {
        errors.push({
          type: 'FieldValueInvalid',
          field: childPath(rp, 'messageExpression'),
          value: rule.messageExpression,
          detail: `messageExpression compilation failed: ${m.error}`,
        });
      } else if (m.type !== 'string' && m.type !== 'dyn') {
        errors.push({
          type: 'FieldValueInvalid',
          field: childPath(rp, 'messageExpression'),
          value: rule.messageExpression,
          detail: 'must evaluate to a string',
        });
      } else messageProgram = m.program;
    }
    const depth = comprehensionDepth(compiled.ast);
    const baseCost = astSize(compiled.ast);
    const estimatedCost = estimateCost(compiled.ast, s, isResource);
    if (errors.length > before) return;
    rules.push({ rule, program: compiled.program, messageProgram, usesOldSelf, fieldPath, depth, baseCost, estimatedCost });
    // Cost is judged at CRD create only: a stored CRD's rule still runs, under the runtime budget.
    if (estimatedCost > perRuleCostLimit) {
      costErrors.push({
        type: 'FieldValueForbidden',
        field: childPath(rp, 'rule'),
        detail: `estimated rule cost exceeds budget by factor of ${costFactor(estimatedCost, perRuleCostLimit)} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
      });
    }
  });
  return { rules, errors, costErrors };
}

export { costFactor };
