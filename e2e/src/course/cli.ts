// `make course LIVE=1`: every lesson of course/ against the cluster of `make up`
// (.skiff/kubeconfig, or KUBECONFIG), each in a fresh namespace course-NN-name that is
// removed after it. Prints one line per lesson (pass, or FAIL and the first difference) and
// exits 1 when a lesson failed. `--lessons TEXT` runs the lessons whose file name contains it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@skiff/common/testing/index';
import { bashShell, namespacedKubeconfig } from './namespace-shell.ts';
import { lessonFiles, lessonNamespace, runLesson, runLessonsConcurrently } from './runner.ts';

const root = repoRoot();
const filterAt = process.argv.indexOf('--lessons');
const filter = filterAt > 0 ? (process.argv[filterAt + 1] ?? '') : '';
const skiffDir = process.env.SKIFF_DIR ?? join(root, '.skiff');
const kubeconfig = process.env.KUBECONFIG ?? join(skiffDir, 'kubeconfig');
if (!existsSync(kubeconfig)) {
  process.stderr.write(`no kubeconfig at ${kubeconfig}: run make up first (or make course without LIVE=1)\n`);
  process.exit(2);
}
const kubectl = (args: string[]) => promisify(execFile)('kubectl', [`--kubeconfig=${kubeconfig}`, ...args]);

const work = mkdtempSync(join(tmpdir(), 'skiff-course-'));
const started = Date.now();
let failed = 0;
const lessons = lessonFiles(join(root, 'course')).filter((f) => f.includes(filter));
// lessons run side by side (SKIFF_COURSE_PARALLEL, 4), those sharing a fixed NodePort one at a time
const results = runLessonsConcurrently(
  lessons,
  async (file) => {
    const ns = lessonNamespace(file);
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--timeout=120s']);
    await kubectl(['create', 'namespace', ns]);
    const lessonConfig = join(work, `${ns}.kubeconfig`);
    namespacedKubeconfig(kubeconfig, ns, lessonConfig);
    const shell = bashShell({ cwd: root, env: { ...process.env, KUBECONFIG: lessonConfig, SKIFF_DIR: skiffDir } });
    const r = await runLesson(file, shell);
    // a failed lesson left its objects (and NodePorts): they are gone before its lane goes on
    await kubectl(['delete', 'namespace', ns, r.ok ? '--wait=false' : '--timeout=120s']);
    return r;
  },
  Number(process.env.SKIFF_COURSE_PARALLEL ?? 4),
);
for (const file of lessons) {
  const r = await results.get(file)!;
  const name = file.split('/').pop();
  process.stdout.write(r.ok ? `pass  ${name} (${r.steps} steps, ${r.seconds.toFixed(0)} s)\n` : `FAIL  ${name} (${r.seconds.toFixed(0)} s)\n  ${r.failure}\n`);
  if (!r.ok) failed++;
}
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${lessons.length - failed} of ${lessons.length} lessons passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(failed ? 1 : 0);
