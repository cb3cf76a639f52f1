// Runs one lesson's steps through a shell given by the caller (on this machine for `make course`
// against a `make up` cluster, inside the test cluster's network namespace for the e2e test),
// stopping at the first step whose exit status or output differs from the lesson's.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstDifference, parseLesson } from './lesson.ts';
import type { Step } from './lesson.ts';

export interface ShellResult {
  code: number;
  /** stdout and stderr, interleaved as a terminal shows them */
  output: string;
}

/** Runs a bash script (with `input` on stdin) the way a student's terminal would. */
export type Shell = (script: string, input: string | undefined, timeoutMs: number) => Promise<ShellResult>;

export interface LessonResult {
  lesson: string;
  ok: boolean;
  steps: number;
  /** the first difference: which step, what was expected, what came */
  failure?: string;
  seconds: number;
}

const STEP_TIMEOUT_MS = 120_000;

/** course/NN-name.md, in the course's order. */
export function lessonFiles(courseDir: string): string[] {
  return readdirSync(courseDir)
    .filter((f) => /^\d\d-.*\.md$/.test(f))
    .sort()
    .map((f) => join(courseDir, f));
}

/** What a finished step left wrong, or undefined. */
function judge(step: Step, r: ShellResult): string | undefined {
  if (r.code !== step.exit) {
    return `exited ${r.code}, expected ${step.exit}; output:\n${r.output
      .trimEnd()
      .split('\n')
      .slice(-25)
      .map((l) => `    ${l}`)
      .join('\n')}`;
  }
  return step.expect ? firstDifference(step.expect, r.output) : undefined;
}

/**
 * The step as bash runs it: variables a lesson exports stay for its later steps, as in the
 * student's terminal (kept in `stateFile` between the separate bash processes).
 */
export function stepScript(step: Step, stateFile: string): string {
  const state = JSON.stringify(stateFile);
  return [
    `[ -f ${state} ] && . ${state}`,
    `trap 'export -p | grep -vE "^declare -x (PWD|OLDPWD|SHLVL|_)=" > ${state}' EXIT`,
    'exec 2>&1',
    // -a: every variable a step sets (POD=...) is exported, so the trap keeps it for later steps
    'set -aeo pipefail',
    step.script,
    '',
  ].join('\n');
}

export async function runLesson(file: string, shell: Shell, log: (line: string) => void = () => {}): Promise<LessonResult> {
  const started = Date.now();
  const stateDir = mkdtempSync(join(tmpdir(), 'skiff-lesson-'));
  try {
    return await runSteps(file, shell, log, join(stateDir, 'exports.sh'), started);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function runSteps(file: string, shell: Shell, log: (line: string) => void, stateFile: string, started: number): Promise<LessonResult> {
  const lesson = file.split('/').pop()!;
  const steps = parseLesson(readFileSync(file, 'utf8')).filter((s) => !s.skip);
  let done = 0;
  for (const step of steps) {
    const until = Date.now() + (step.retrySeconds ?? 0) * 1000;
    let problem: string | undefined;
    for (;;) {
      const r = await shell(stepScript(step, stateFile), step.input, STEP_TIMEOUT_MS);
      problem = judge(step, r);
      if (!problem || Date.now() >= until) break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    if (problem) {
      const first = step.script.split('\n')[0];
      return { lesson, ok: false, steps: done, failure: `${lesson}:${step.line} (${first}): ${problem}`, seconds: (Date.now() - started) / 1000 };
    }
    done++;
    log(`${lesson}: step at line ${step.line} ok`);
  }
  return { lesson, ok: true, steps: done, seconds: (Date.now() - started) / 1000 };
}

/** kubernetes namespace for a lesson file: course/03-deployments.md -> course-03-deployments */
export function lessonNamespace(file: string): string {
  const base = file
    .split('/')
    .pop()!
    .replace(/\.md$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  return `course-${base}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * What a lesson shares with other lessons and so cannot use at the same time as them: the
 * words of its `<!-- course: shares WORD ... -->` lines (a fixed NodePort such as
 * `nodePort-30080`, which only one namespace's Service can hold).
 */
export function sharedResources(markdown: string): string[] {
  const words: string[] = [];
  for (const m of markdown.matchAll(/<!--\s*course:\s*shares\s+([^>]*?)\s*-->/g)) words.push(...m[1]!.split(/\s+/).filter(Boolean));
  return words;
}

/**
 * The lessons grouped into lanes: lessons that share a resource (directly or through another
 * lesson) are one lane and run one after another in the course's order; lanes run side by side.
 * Longest lane first, so that it starts at once.
 */
export function lessonLanes(files: string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string[][] {
  const lanes: { files: string[]; shares: Set<string> }[] = [];
  for (const file of files) {
    const shares = new Set(sharedResources(read(file)));
    const joined = lanes.filter((l) => [...shares].some((s) => l.shares.has(s)));
    const lane = { files: [...joined.flatMap((l) => l.files), file], shares: new Set([...shares, ...joined.flatMap((l) => [...l.shares])]) };
    lane.files.sort((a, b) => files.indexOf(a) - files.indexOf(b));
    for (const l of joined) lanes.splice(lanes.indexOf(l), 1);
    lanes.push(lane);
  }
  return lanes.map((l) => l.files).sort((a, b) => b.length - a.length || files.indexOf(a[0]!) - files.indexOf(b[0]!));
}

/**
 * Runs every lesson: the lanes of lessonLanes, at most `parallel` at a time. Returns each
 * lesson's result as a promise at once (keyed by file), so a caller can report them in order
 * while later lessons still run. A lesson that throws is a failed lesson, not a lost promise.
 */
export function runLessonsConcurrently(files: string[], runOne: (file: string) => Promise<LessonResult>, parallel: number): Map<string, Promise<LessonResult>> {
  const results = new Map<string, Promise<LessonResult>>();
  const settle = new Map<string, (r: LessonResult) => void>();
  for (const file of files) results.set(file, new Promise((res) => settle.set(file, res)));
  const queue = lessonLanes(files);
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const file of lane) {
        const started = Date.now();
        const r = await runOne(file).catch(
          (e: unknown): LessonResult => ({
            lesson: file.split('/').pop()!,
            ok: false,
            steps: 0,
            failure: `the runner failed: ${e instanceof Error ? e.message : String(e)}`,
            seconds: (Date.now() - started) / 1000,
          }),
        );
        settle.get(file)!(r);
      }
    }
  };
  for (let i = 0; i < Math.max(1, parallel); i++) void worker();
  return results;
}
