// Test harness: real etcd, real apiserver, real kubectl. Import from
// '@skiff/common/testing/index'.
export { startEtcd, sharedEtcd, stopSharedEtcd } from './etcd.ts';
export type { EtcdHandle, EtcdClientTls, StartEtcdOptions } from './etcd.ts';
export { makePki, makeClientCert, makeServingCert, makeEtcdPki, sharedPki, sharedEtcdPki } from './pki.ts';
export type { Pki, CertPair, EtcdPki } from './pki.ts';
export { writeKubeconfig } from './kubeconfig.ts';
export type { KubeconfigSpec } from './kubeconfig.ts';
export { startApiserver, uniqueEtcdPrefix } from './apiserver.ts';
export type { ApiserverHandle, StartApiserverOptions, HttpResponse, RequestOptions } from './apiserver.ts';
export { runKubectl, kubectlBinary, kubectlVersions, kubectlDir } from './kubectl.ts';
export type { KubectlOptions, KubectlResult } from './kubectl.ts';
export { httpReady, startComponent } from './component.ts';
export type { ComponentHandle, StartComponentOptions } from './component.ts';
export { useEtcd, useApiserver } from './mocha.ts';
export type { EtcdFixture, ApiserverFixture } from './mocha.ts';
export { freePort } from './ports.ts';
export { removeOnExit } from './processes.ts';
export { stopAfterAllFiles } from './after-all-files.ts';
export { repoRoot, componentEntryArgs } from './repo.ts';
export { KUBECTL_POLL_MS, KUBECTL_POLL_MAX_MS, pollPauses, until, waitFor } from './wait.ts';
export { watchLines } from './watch-lines.ts';
export { scratchDir, scratchRoot } from './scratch.ts';
export {
  FIGURES,
  FIGURES_FILE_ENV,
  recordFigure,
  recordNotMeasured,
  readFigures,
  summaryRows,
  formatSummary,
  figureLine,
  formatNumber,
} from './bench-figures.ts';
export type { FigureSpec, Goal, Baseline, MeasuredFigure, UnmeasuredFigure, FigureRecord, BenchRun } from './bench-figures.ts';
export { pssMiB, rssMiB } from './process-memory.ts';
export { percentile } from './percentile.ts';
export { histogramSeries, histogramDelta, histogramCount, histogramQuantile, quantileFromMetrics } from './prometheus-text.ts';
export type { HistogramSeries } from './prometheus-text.ts';
export { benchNodeFlags, BENCH_NODE_FLAGS_ENV } from './bench-node-flags.ts';
export { componentNodeFlags } from './component-node-flags.ts';
export { benchPhase, BENCH_PHASES_ENV } from './bench-phases.ts';
