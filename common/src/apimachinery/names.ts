// Name and key syntax checks (DNS-1123 labels and subdomains, DNS-1035 labels, qualified names,
// label values, ...) worded as k8s.io/apimachinery/pkg/util/validation prints them. Each check
// returns a list of problem descriptions (empty when fine); callers turn them into field errors
// with their own path.

/** The regular expressions of util/validation, for checks that build on them. */
export const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
export const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configKeyFmt = '[-._a-zA-Z0-9]+';

const whole = (fmt: string) => new RegExp(`^${fmt}$`);
const dns1123LabelRe = whole(dns1123LabelFmt);
const dns1123SubdomainRe = whole(dns1123SubdomainFmt);
const dns1035LabelRe = whole(dns1035LabelFmt);
const qualifiedNameRe = whole(qualifiedNameFmt);
const labelValueRe = whole(labelValueFmt);
const configKeyRe = whole(configKeyFmt);

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
export const QUALIFIED_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;

/** `(e.g. 'a',  or 'b', regex used for validation is 'x')`: Go joins examples with ",  or ". */
function regexMessage(what: string, fmt: string, examples: string[]): string {
  const ex = examples.map((e) => `'${e}'`).join(',  or ');
  return `${what} (e.g. ${ex}, regex used for validation is '${fmt}')`;
}

export const maxLenMessage = (n: number) => `must be no more than ${n} characters`;

export const dns1123LabelMessage = regexMessage(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  dns1123LabelFmt,
  ['my-name', '123-abc'],
);
export const dns1123SubdomainMessage = regexMessage(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  dns1123SubdomainFmt,
  ['example.com'],
);
export const dns1035LabelMessage = regexMessage(
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
  dns1035LabelFmt,
  ['my-name', 'abc-123'],
);
const qualifiedNameCharsMessage = regexMessage(
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  qualifiedNameFmt,
  ['MyName', 'my.name', '123-abc'],
);
const labelValueMessage = regexMessage(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  labelValueFmt,
  ['MyValue', 'my_value', '12345'],
);
const configKeyMessage = regexMessage("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configKeyFmt, [
  'key.name',
  'KEY_NAME',
  'key-name',
]);

export function checkDns1123Label(v: string): string[] {
  const out: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) out.push(maxLenMessage(DNS1123_LABEL_MAX));
  if (!dns1123LabelRe.test(v)) out.push(dns1123LabelMessage);
  return out;
}

export function checkDns1123Subdomain(v: string): string[] {
  const out: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) out.push(maxLenMessage(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123SubdomainRe.test(v)) out.push(dns1123SubdomainMessage);
  return out;
}

export function checkDns1035Label(v: string): string[] {
  const out: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) out.push(maxLenMessage(DNS1123_LABEL_MAX));
  if (!dns1035LabelRe.test(v)) out.push(dns1035LabelMessage);
  return out;
}

/** Label/annotation keys, finalizers: `[prefix/]name` with a DNS subdomain prefix. */
export function checkQualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name: string;
  const out: string[] = [];
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...checkDns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a qualified name ${qualifiedNameCharsMessage} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX) out.push(`name part ${maxLenMessage(QUALIFIED_NAME_MAX)}`);
  if (name.length > 0 && !qualifiedNameRe.test(name)) out.push(`name part ${qualifiedNameCharsMessage}`);
  return out;
}

export function checkLabelValue(v: string): string[] {
  const out: string[] = [];
  if (v.length > LABEL_VALUE_MAX) out.push(maxLenMessage(LABEL_VALUE_MAX));
  if (!labelValueRe.test(v)) out.push(labelValueMessage);
  return out;
}

/** ConfigMap and Secret data keys. */
export function checkConfigMapKey(v: string): string[] {
  const out: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) out.push(maxLenMessage(DNS1123_SUBDOMAIN_MAX));
  if (!configKeyRe.test(v)) out.push(configKeyMessage);
  if (v === '.') out.push("must not be '.'");
  else if (v === '..') out.push("must not be '..'");
  else if (v.startsWith('..')) out.push("must not start with '..'");
  return out;
}

/** Port names (IANA_SVC_NAME, RFC 6335). */
export function checkPortName(v: string): string[] {
  const out: string[] = [];
  if (v.length > 15) out.push(maxLenMessage(15));
  if (!/^[-a-z0-9]+$/.test(v)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (v.includes('--')) out.push('must not contain consecutive hyphens');
  if (/[a-z]/.test(v) === false) out.push('must contain at least one letter (a-z)');
  if (v.startsWith('-') || v.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** C identifiers as env var names must be: apimachinery's IsEnvVarName. */
export function checkEnvVarName(v: string): string[] {
  const out: string[] = [];
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(v)) {
    out.push(
      regexMessage(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        '[-._a-zA-Z][-._a-zA-Z0-9]*',
        ['my.env-name', 'MY_ENV.NAME', 'MyEnvName1'],
      ),
    );
  }
  if (v === '.') out.push("must not be '.'");
  else if (v === '..') out.push("must not be '..'");
  else if (v.startsWith('..')) out.push("must not start with '..'");
  return out;
}

export function isValidIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** A name validator as the per-resource strategies choose it; `prefix` is for generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** generateName may end in '-': apimachinery masks a trailing dash before checking. */
const maskTrailingDash = (name: string, prefix: boolean) => (prefix && name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name);

export const nameIsDnsSubdomain: NameValidator = (n, p) => checkDns1123Subdomain(maskTrailingDash(n, p));
export const nameIsDnsLabel: NameValidator = (n, p) => checkDns1123Label(maskTrailingDash(n, p));
export const nameIsDns1035Label: NameValidator = (n, p) => checkDns1035Label(maskTrailingDash(n, p));

/** Path segment names (most resources outside core): must be usable in a URL path. */
export const nameIsPathSegment: NameValidator = (n) => {
  if (n === '.' || n === '..') return [`may not be '${n}'`];
  if (n.includes('/')) return ["may not contain '/'"];
  if (n.includes('%')) return ["may not contain '%'"];
  return [];
};

const wildcardDns1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDns1123SubdomainRe = whole(wildcardDns1123SubdomainFmt);

/** IsWildcardDNS1123Subdomain: `*.` and a DNS subdomain (Ingress hosts). */
export function checkWildcardDns1123Subdomain(v: string): string[] {
  const out: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) out.push(maxLenMessage(DNS1123_SUBDOMAIN_MAX));
  if (!wildcardDns1123SubdomainRe.test(v)) {
    out.push(
      regexMessage(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        wildcardDns1123SubdomainFmt,
        ['*.example.com'],
      ),
    );
  }
  return out;
}

/** IsValidPathSegmentName: a name that is one segment of a URL path. */
export function checkPathSegmentName(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  const out: string[] = [];
  for (const bad of ['/', '%']) if (v.includes(bad)) out.push(`may not contain '${bad}'`);
  return out;
}
