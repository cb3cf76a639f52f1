// Static cost estimate of a rule, in the spirit of cel-go's checker.Cost as Kubernetes uses it at
// CRD create: every AST node costs 1, and a comprehension (all, exists, exists_one, map, filter)
// costs its body once per element of the collection it ranges over. The collection's size comes
// from the schema (maxItems, maxProperties) when the range resolves to a schema node (`self`,
// `self.spec.list`, an iteration variable's field...), else from the 3 MiB request bound.
import type { ASTNode } from '@marcbachmann/cel-js';
import type { JSONSchemaProps } from '../index.ts';
import { isObject, itemsSchema } from '../node.ts';
import { escapeProperty } from './values.ts';

/** The most elements an unbounded list/map can hold in a 3 MiB request (two bytes each: `1,`). */
export const unboundedCardinality = Math.floor((3 * 1024 * 1024) / 2);

const comprehensions = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const resourceMeta: JSONSchemaProps = { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } };

interface Scope {
  vars: Map<string, JSONSchemaProps | undefined>;
  /** `self` is a resource root or embedded resource: apiVersion, kind and metadata are visible */
  resource: boolean;
}

export function astChildren(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const visit = (a: unknown) => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (a && typeof a === 'object' && 'op' in a) out.push(a as ASTNode);
  };
  visit(node.args);
  return out;
}

/** The schema of an expression's value, where the expression is a path into self or an iteration variable. */
function schemaOf(n: ASTNode, scope: Scope): JSONSchemaProps | undefined {
  switch (n.op) {
    case 'id':
      return scope.vars.get(n.args as string);
    case '.':
    case '.?': {
      const [base, name] = n.args as [ASTNode, string];
      const s = schemaOf(base, scope);
      if (!s) return undefined;
      if (base.op === 'id' && (base.args === 'self' || base.args === 'oldSelf') && scope.resource) {
        if (name === 'metadata') return resourceMeta;
        if (name === 'apiVersion' || name === 'kind') return { type: 'string' };
      }
      const prop = Object.entries(s.properties ?? {}).find(([k]) => escapeProperty(k) === name)?.[1];
      return prop ?? (isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
    }
    case '[]': {
      const s = schemaOf((n.args as [ASTNode, ASTNode])[0], scope);
      if (!s) return undefined;
      return s.type === 'array' ? itemsSchema(s) : isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
    }
    case 'rcall': {
      const [name, receiver] = n.args as [string, ASTNode, ASTNode[]];
      // filter keeps the receiver's elements; map keeps its length
      if (name === 'filter') return schemaOf(receiver, scope);
      if (name === 'map') {
        const s = schemaOf(receiver, scope);
        return s ? { type: 'array', maxItems: cardinality(s), items: undefined } : undefined;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function cardinality(s: JSONSchemaProps | undefined): number {
  if (!s) return unboundedCardinality;
  if (s.type === 'array') return s.maxItems ?? unboundedCardinality;
  if (isObject(s.additionalProperties)) return s.maxProperties ?? unboundedCardinality;
  if (s.type === 'string') return s.maxLength ?? unboundedCardinality;
  return unboundedCardinality;
}

function rangeCardinality(range: ASTNode, scope: Scope): number {
  if (range.op === 'list') return (range.args as ASTNode[]).length;
  if (range.op === 'map') return (range.args as unknown[]).length;
  return cardinality(schemaOf(range, scope));
}

function elementSchema(range: ASTNode, scope: Scope): JSONSchemaProps | undefined {
  const s = schemaOf(range, scope);
  if (!s) return undefined;
  if (s.type === 'array') return itemsSchema(s);
  // a comprehension over a map ranges over its keys
  return { type: 'string' };
}

function cost(n: ASTNode, scope: Scope): number {
  if (n.op === 'rcall') {
    const [name, receiver, args] = n.args as [string, ASTNode, ASTNode[]];
    if (comprehensions.has(name) && args.length >= 2 && args[0]!.op === 'id') {
      const inner: Scope = { vars: new Map(scope.vars), resource: scope.resource };
      inner.vars.set(args[0]!.args as string, elementSchema(receiver, scope));
      const body = args.slice(1).reduce((sum, a) => sum + cost(a, inner), 0);
      return 1 + cost(receiver, scope) + rangeCardinality(receiver, scope) * (body + 1);
    }
  }
  return 1 + astChildren(n).reduce((sum, c) => sum + cost(c, scope), 0);
}

/** The estimated worst-case cost of one evaluation of a rule declared on schema `s`. */
export function estimateCost(ast: ASTNode, s: JSONSchemaProps, isResource: boolean): number {
  return cost(ast, {
    vars: new Map([
      ['self', s],
      ['oldSelf', s],
    ]),
    resource: isResource,
  });
}

/** Nesting depth of comprehensions, which the runtime charge raises the input's largest collection to. */
export function comprehensionDepth(node: ASTNode): number {
  const below = Math.max(0, ...astChildren(node).map(comprehensionDepth));
  const args = node.args as unknown[];
  return below + (node.op === 'rcall' && comprehensions.has(String(args[0])) ? 1 : 0);
}
