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
    'set -eo pipefail',
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
