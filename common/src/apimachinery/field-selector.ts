// Field selectors (k8s.io/apimachinery/pkg/fields): `metadata.name=x,status.phase!=Failed`,
// only equality and inequality. Backslash escapes `,` `=` `!` and `\` in values.
import { SelectorError } from './label-selector.ts';

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** Every requirement holds; a missing field reads as empty, as fields.Set does. */
export function fieldRequirementsMatch(requirements: readonly FieldRequirement[], fields: Readonly<Record<string, string>>): boolean {
  for (const r of requirements) {
    const v = fields[r.field] ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = requirements;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  readonly matches = (fields: Readonly<Record<string, string>>): boolean => fieldRequirementsMatch(this.requirements, fields);

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.op}${escapeValue(r.value)}`).join(',');
  }
}

const escapeValue = (v: string) => v.replace(/[\\,=!]/g, (c) => `\\${c}`);

/** fields.ParseSelector. Throws SelectorError with Kubernetes' message. */
export function parseFieldSelector(input: string): FieldSelector {
  const out: FieldRequirement[] = [];
  if (!input.trim()) return new FieldSelector(out);
  for (const term of splitUnescaped(input)) {
    if (!term) continue;
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
    out.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim().replace(/\\(.)/g, '$1') });
  }
  return new FieldSelector(out);
}

/** Splits at commas that no backslash escapes, keeping the escapes for the value to undo. */
function splitUnescaped(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
