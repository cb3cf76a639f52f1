import { expect } from 'chai';
import { createLogger } from '@skiff/common';

describe('logger', () => {
  it('writes one JSON object per line with component and fields', () => {
    const lines: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = (s: string) => {
      lines.push(s);
      return true;
    };
    const level = process.env.SKIFF_LOG_LEVEL;
    process.env.SKIFF_LOG_LEVEL = 'info'; // make test quiets components with 'error'
    try {
      createLogger('test').info('hello', { a: 1 });
    } finally {
      (process.stderr as any).write = orig;
      if (level === undefined) delete process.env.SKIFF_LOG_LEVEL;
      else process.env.SKIFF_LOG_LEVEL = level;
    }
    const rec = JSON.parse(lines[0]!);
    expect(rec).to.include({ level: 'info', component: 'test', msg: 'hello', a: 1 });
  });
});
