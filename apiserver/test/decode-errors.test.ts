// The words of Kubernetes' decode errors: Go's JSON scanner messages and the "unrecognized" summary.
import { expect } from 'chai';
import { jsonKindProblem, unrecognizedObject } from '../src/handlers/decode-errors.ts';
import { goJsonSyntaxError } from '../src/handlers/go-json-syntax.ts';

describe('decode errors as Kubernetes words them', () => {
  it("reports the scanner's first error as encoding/json does", () => {
    const cases: [string, string | undefined][] = [
      ['{"a":[1,2,{"b":null}],"c":-1.5e3}', undefined],
      ['apiVersion: v1', "invalid character 'a' looking for beginning of value"],
      ['', 'unexpected end of JSON input'],
      ['{"a":1', 'unexpected end of JSON input'],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ['[1 2]', "invalid character '2' after array element"],
      ['{}x', "invalid character 'x' after top-level value"],
      ['tru ', "invalid character ' ' in literal true (expecting 'e')"],
      ['-x', "invalid character 'x' in numeric literal"],
      ['1.}', "invalid character '}' after decimal point in numeric literal"],
      ['"\\q"', "invalid character 'q' in string escape code"],
      ['"a\u0001"', "invalid character '\\x01' in string literal"],
      ["'a'", "invalid character '\\'' looking for beginning of value"],
    ];
    for (const [text, want] of cases) expect(goJsonSyntaxError(text), text).to.equal(want);
  });

  it('names the kind the endpoint wanted and summarises the body (text for JSON objects, hex otherwise)', () => {
    const yamlBody = Buffer.from('apiVersion: v1\nkind: LimitRange\nmetadata: {name: x}\n');
    const e = unrecognizedObject('Namespace', jsonKindProblem(yamlBody)!, yamlBody);
    expect(e.code).to.equal(400);
    expect(e.message).to.equal(
      "the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (61706956657273696f6e3a2076310a6b696e643a204c696d697452616e67 ...)",
    );
    const array = Buffer.from('[1]');
    expect(jsonKindProblem(array)).to.equal(
      'json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
    );
    expect(jsonKindProblem(Buffer.from('{"kind":"Pod"}'))).to.equal(undefined);
  });
});
