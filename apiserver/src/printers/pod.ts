// `kubectl get pods`: the STATUS column condenses phase, init progress and container states into
// one word the way kube-apiserver's printPod does (Init:1/2, CrashLoopBackOff, Completed, Terminating...).
import type { KObject } from '../registry/types.ts';
import { ageColumn, col, nameColumn, type Printer, type RowCondition } from './columns.ts';
import { parseTimestamp, timestampSince } from './duration.ts';
import { str } from './format.ts';

/** The reason the node lifecycle controller gives pods on a node that stopped reporting. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

const terminalPhases = new Set(['Succeeded', 'Failed']);

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** Sidecars are init containers with restartPolicy Always: they count as regular containers. */
function isRestartableInit(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(pod: KObject, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c?.type === type && c?.status === 'True');
}

function laterOf(a: Date | undefined, b: unknown): Date | undefined {
  const d = parseTimestamp(b);
  if (!d) return a;
  return !a || d > a ? d : a;
}

function terminatedReason(t: any, prefix: string): string {
  if (str(t.reason) !== '') return prefix + t.reason;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

export function summarizePod(pod: KObject, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs: any[] = spec.initContainers ?? [];
  const initByName = new Map<string, any>(initSpecs.map((c) => [c?.name, c]));

  let restarts = 0;
  let sidecarRestarts = 0;
  const totalContainers = (spec.containers ?? []).length + initSpecs.filter(isRestartableInit).length;
  let readyContainers = 0;
  let lastRestart: Date | undefined;
  let lastSidecarRestart: Date | undefined;

  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of status.conditions ?? []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const state = cs.state ?? {};
    const sidecar = isRestartableInit(initByName.get(cs.name));
    restarts += cs.restartCount ?? 0;
    lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = laterOf(lastSidecarRestart, cs.lastState?.terminated?.finishedAt);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (state.terminated) reason = terminatedReason(state.terminated, 'Init:');
    else if (state.waiting && str(state.waiting.reason) !== '' && state.waiting.reason !== 'PodInitializing') reason = `Init:${state.waiting.reason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    // Walk backwards so that the first container's state wins, as the real printer does.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      const state = cs.state ?? {};
      restarts += cs.restartCount ?? 0;
      lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
      if (state.waiting && str(state.waiting.reason) !== '') reason = state.waiting.reason;
      else if (state.terminated) reason = terminatedReason(state.terminated, '');
      else if (cs.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose finished container left a "Completed" behind is still running if another runs.
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminalPhases.has(phase)) reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart) restartsText = `${restarts} (${timestampSince(lastRestart.toISOString(), now)} ago)`;

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: KObject): string {
  const gates: any[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions: any[] = pod.status?.conditions ?? [];
  let satisfied = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x?.type === g?.conditionType);
    if (c?.status === 'True') satisfied++;
  }
  return `${satisfied}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { wide: true }),
    col(
      'Node',
      'string',
      'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.',
      { wide: true },
    ),
    col(
      'Nominated Node',
      'string',
      'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
      { wide: true },
    ),
    col(
      'Readiness Gates',
      'string',
      'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True"',
      { wide: true },
    ),
  ],
  cells(pod, now) {
    const s = summarizePod(pod, now);
    const podIP = str(pod.status?.podIPs?.[0]?.ip) || str(pod.status?.podIP) || '<none>';
    return [
      pod.metadata.name ?? '',
      s.ready,
      s.status,
      s.restarts,
      timestampSince(pod.metadata.creationTimestamp, now),
      podIP,
      str(pod.spec?.nodeName) || '<none>',
      str(pod.status?.nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
  conditions(pod): RowCondition[] | undefined {
    if (pod.status?.phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (pod.status?.phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};
