// YAML request bodies parsed under the body limits: nesting depth, and aliases that would
// expand a small text into a huge object (an "alias bomb"). Pure, so the worker can run it.
import yaml from 'js-yaml';
import { ApiError } from '../errors.ts';
import { checkDecodedSize, checkJsonDepth, mayHaveYamlAliases, maxYamlNodes } from './limits.ts';

export type YamlResult = { ok: true; value: unknown } | { ok: false; message: string };

/** `prefix` names the decoding step in the 400's message, as apimachinery words it. */
export function parseYamlLimited(text: string, prefix: string): YamlResult {
  try {
    const json = parseAsJson(text);
    if (json.ok) return json;
    const value = yaml.load(text);
    // Without an alias nothing is shared, and js-yaml itself refuses nesting beyond 100.
    if (mayHaveYamlAliases(text)) checkDecodedSize(value, maxYamlNodes(Buffer.byteLength(text)));
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, message: e.message };
    return { ok: false, message: `${prefix}: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** kubectl sends JSON even where YAML is allowed; JSON.parse is many times faster than js-yaml. */
function parseAsJson(text: string): YamlResult | { ok: false } {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return { ok: false };
  checkJsonDepth(text);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
