// The course runner's parsing and matching (issue 23), without a cluster: a lesson whose
// expected output no longer matches must fail, with the first difference in the report.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@skiff/common/testing/index';
import { firstDifference, linePattern, parseLesson } from '../src/course/lesson.ts';
import { bashShell } from '../src/course/namespace-shell.ts';
import { lessonFiles, lessonLanes, lessonNamespace, runLesson, runLessonsConcurrently, sharedResources } from '../src/course/runner.ts';
import type { LessonResult } from '../src/course/runner.ts';

const fence = '```';
const lesson = (body: string) => body.replaceAll("'''", fence);

describe('course runner: lessons as Markdown', () => {
  it('reads sh blocks with their options, input and expect blocks, ignoring other fences', () => {
    const steps = parseLesson(
      lesson(
        `# t\n'''yaml\nkind: Pod\n'''\n'''sh retry=30\necho a\n'''\n\n'''input\nls\n'''\n'''expect\na\n\n'''\n'''sh exit=124\nx\n'''\n'''sh skip\ny\n'''\n`,
      ),
    );
    expect(steps).to.deep.equal([
      { line: 5, script: 'echo a', exit: 0, retrySeconds: 30, skip: false, input: 'ls\n', expect: ['a'] },
      { line: 16, script: 'x', exit: 124, retrySeconds: undefined, skip: false },
      { line: 19, script: 'y', exit: 0, retrySeconds: undefined, skip: true },
    ]);
  });

  it('refuses an expect block with no command before it, and two for one command', () => {
    expect(() => parseLesson(lesson(`'''expect\na\n'''\n`))).to.throw(/needs a sh block/);
    expect(() => parseLesson(lesson(`'''sh\na\n'''\n'''expect\na\n'''\n'''expect\nb\n'''\n`))).to.throw(/second expect/);
  });

  it('... matches any text within one line, and runs of spaces match runs of spaces', () => {
    expect(linePattern('web-... 1/1 Running 0 ...').test('web-7d9c8-x2x 1/1 Running 0 12s')).to.equal(true);
    expect(firstDifference(['NAME READY STATUS', 'web-... 1/1 Running ...'], 'NAME     READY   STATUS\nweb-abc   1/1     Running   0  3m\n')).to.equal(
      undefined,
    );
    expect(linePattern('a.b').test('axb'), 'a dot is literal').to.equal(false);
    expect(linePattern('10.244....:8080').test('10.244.0.17:8080'), 'the last three dots of a run are the wildcard').to.equal(true);
    expect(linePattern('10.96....').test('10.96x')).to.equal(false);
    expect(linePattern('web 3/3').test('web 3/3 3 3 5s'), 'a whole line, not a part').to.equal(false);
  });

  it('expected lines must come in order; other lines may come between', () => {
    expect(firstDifference(['a', 'c'], 'a\nb\nc\n')).to.equal(undefined);
    const diff = firstDifference(['c', 'a'], 'a\nb\nc\n');
    expect(diff).to.include('expected a line like\n    a').and.include('after the lines already matched');
  });

  it('a lesson whose output no longer matches fails, naming the step and the first difference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'course-test-'));
    try {
      const file = join(dir, '01-demo.md');
      const shell = bashShell({ cwd: dir, env: process.env });
      writeFileSync(
        file,
        lesson(
          `'''sh\nexport N=3\nPOD=web-x\necho "$POD 1/1 Running $N"\n'''\n'''expect\nweb-... 1/1 Running 3\n'''\n'''sh\necho "n=$N pod=$POD"\n'''\n'''expect\nn=3 pod=web-x\n'''\n`,
        ),
      );
      expect(await runLesson(file, shell)).to.deep.include({ ok: true, steps: 2 });

      writeFileSync(file, lesson(`'''sh\necho "web-x 0/1 Pending 0"\n'''\n'''expect\nweb-... 1/1 Running ...\n'''\n`));
      const failed = await runLesson(file, shell);
      expect(failed.ok).to.equal(false);
      expect(failed.failure).to.include('01-demo.md:1 (echo "web-x 0/1 Pending 0")').and.include('web-... 1/1 Running ...').and.include('web-x 0/1 Pending 0');

      writeFileSync(file, lesson(`'''sh\nfalse\necho never\n'''\n`));
      expect((await runLesson(file, shell)).failure).to.include('exited 1, expected 0');
      writeFileSync(
        file,
        lesson(`'''sh exit=3\nexit 3\n'''\n'''sh\nread -r x; echo "got $x"; tty\n'''\n'''input\ntyped\n'''\n'''expect\ngot typed\n/dev/pts/...\n'''\n`),
      );
      expect(await runLesson(file, shell)).to.deep.include({ ok: true, steps: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every lesson of course/ parses, has commands and checks, and gets a valid namespace', () => {
    const files = lessonFiles(join(repoRoot(), 'course'));
    expect(files.length).to.be.greaterThan(10);
    for (const f of files) {
      const steps = parseLesson(readFileSync(f, 'utf8'));
      expect(
        steps.filter((s) => s.expect),
        f,
      ).to.not.be.empty;
      expect(lessonNamespace(f)).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('lessons that share a resource (a fixed NodePort) form one lane in course order; the others run alone', () => {
    expect(sharedResources('# t\n<!-- course: shares nodePort-30080  nodePort-30081 -->\ntext\n')).to.deep.equal(['nodePort-30080', 'nodePort-30081']);
    expect(sharedResources('# t\n<!-- a comment -->\n')).to.deep.equal([]);
    const text: Record<string, string> = {
      a: '<!-- course: shares p1 -->',
      b: '',
      c: '<!-- course: shares p2 -->',
      d: '<!-- course: shares p1 p2 -->',
      e: '<!-- course: shares p3 -->',
    };
    // d joins a's lane and c's: a, c and d run one after another; b and e beside them
    expect(lessonLanes(Object.keys(text), (f) => text[f]!)).to.deep.equal([['a', 'c', 'd'], ['b'], ['e']]);
  });

  it('runs lanes side by side but a lane one lesson at a time, and a lesson that throws fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'course-test-'));
    try {
      const files = ['01-a.md', '02-b.md', '03-c.md', '04-d.md'].map((f) => join(dir, f));
      writeFileSync(files[0]!, '<!-- course: shares port -->');
      writeFileSync(files[1]!, '');
      writeFileSync(files[2]!, '<!-- course: shares port -->');
      writeFileSync(files[3]!, '');
      const running = new Set<string>();
      const together: string[][] = [];
      const runOne = async (file: string): Promise<LessonResult> => {
        const name = file.split('/').pop()!;
        running.add(name);
        together.push([...running].sort());
        await new Promise((res) => setTimeout(res, 20));
        running.delete(name);
        if (name === '04-d.md') throw new Error('boom');
        return { lesson: name, ok: true, steps: 1, seconds: 0 };
      };
      const results = runLessonsConcurrently(files, runOne, 2);
      const done = await Promise.all(files.map((f) => results.get(f)!));
      expect(done.map((r) => r.ok)).to.deep.equal([true, true, true, false]);
      expect(done[3]!.failure).to.include('boom');
      expect(
        together.some((names) => names.length === 2),
        'two lanes at once',
      ).to.equal(true);
      expect(
        together.some((names) => names.includes('01-a.md') && names.includes('03-c.md')),
        'the lessons sharing a port never together',
      ).to.equal(false);
      expect(
        together.every((names) => names.length <= 2),
        'at most 2 at a time',
      ).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
