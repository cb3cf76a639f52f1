import { expect } from 'chai';
import { createLogger } from '@skiff/common';

describe('logger', () => {
  it('writes one JSON object per line with component and fields', () => {
    const lines: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = (s: string) => { lines.push(s); return true; };
    try { createLogger('test').info('hello', { a: 1 }); } finally { (process.stderr as any).write = orig; }
    const rec = JSON.parse(lines[0]!);
    expect(rec).to.include({ level: 'info', component: 'test', msg: 'hello', a: 1 });
  });
});
