// A simulated node for tests: there is no scheduler or kubelet yet, so this binds every
// pod to one fake Node, reports it Running and Ready (unless `readyWhen` says no) through
// /status, and completes graceful deletions as a kubelet would.
import { CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Informer, WorkQueue, createLogger, keyOf, runWorkers, splitKey } from '@skiff/common';

export interface FakeKubeletOptions {
  nodeName?: string;
  /** Whether a pod's containers become ready; default: unless an image contains "never-ready". */
  readyWhen?: (pod: V1Pod) => boolean;
  workers?: number;
}

export interface FakeKubelet {
  nodeName: string;
  stop(): Promise<void>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const defaultReadyWhen = (pod: V1Pod) => !(pod.spec?.containers ?? []).some((c) => (c.image ?? '').includes('never-ready'));

export async function startFakeKubelet(kubeConfig: KubeConfig, opts: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  const nodeName = opts.nodeName ?? 'fake-node-1';
  const readyWhen = opts.readyWhen ?? defaultReadyWhen;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const log = createLogger('fake-kubelet', { node: nodeName });
  try {
    await core.createNode({ body: { metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } } } });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
  }
  // heartbeat as a kubelet does, so that the node lifecycle controller sees a healthy node
  const leases = kubeConfig.makeApiClient(CoordinationV1Api);
  const heartbeat = async () => {
    const now = new Date();
    try {
      const l = await leases.readNamespacedLease({ name: nodeName, namespace: 'kube-node-lease' });
      l.spec = { ...l.spec, holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: now };
      await leases.replaceNamespacedLease({ name: nodeName, namespace: 'kube-node-lease', body: l });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      await leases.createNamespacedLease({
        namespace: 'kube-node-lease',
        body: { metadata: { name: nodeName }, spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: now } },
      });
    }
    await core.patchNodeStatus(
      {
        name: nodeName,
        body: {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'fake kubelet is posting ready status',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      },
      mergePatch,
    );
  };
  await heartbeat();
  const heartbeatTimer = setInterval(() => {
    heartbeat().catch((e) => log.debug('heartbeat failed', { err: (e as Error).message }));
  }, 10_000);
  heartbeatTimer.unref();
  const pods = new Informer<V1Pod>({ kubeConfig, path: '/api/v1/pods', list: () => core.listPodForAllNamespaces(), log });
  const queue = new WorkQueue<string>({ baseDelayMs: 20, maxDelayMs: 2000 });
  const enqueue = (p: V1Pod) => queue.add(keyOf(p));
  pods.on({ add: enqueue, update: enqueue });
  let ipCounter = 1;

  const handle = async (key: string) => {
    const { namespace, name } = splitKey(key);
    const pod = pods.get(name, namespace);
    if (!pod) return;
    const ref = { name, namespace: namespace! };
    if (pod.metadata?.deletionTimestamp) {
      if (pod.spec?.nodeName !== nodeName) return;
      await core.deleteNamespacedPod({ ...ref, gracePeriodSeconds: 0, body: { preconditions: { uid: pod.metadata.uid } } }).catch((e) => {
        if (e?.code !== 404 && e?.code !== 409) throw e;
      });
      return;
    }
    if (!pod.spec?.nodeName) {
      await core.createNamespacedPodBinding({ ...ref, body: { metadata: { name }, target: { kind: 'Node', name: nodeName } } });
      return;
    }
    if (pod.spec.nodeName !== nodeName) return;
    const ready = readyWhen(pod);
    const current = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (pod.status?.phase === 'Running' && current === (ready ? 'True' : 'False')) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ip = `10.244.0.${(ipCounter++ % 250) + 2}`;
    const cond = (type: string, status: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: now });
    const status = {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: ip,
      podIPs: [{ ip }],
      startTime: pod.status?.startTime ?? now,
      conditions: [
        cond('PodScheduled', 'True'),
        cond('Initialized', 'True'),
        cond('ContainersReady', ready ? 'True' : 'False'),
        cond('Ready', ready ? 'True' : 'False'),
      ],
      containerStatuses: (pod.spec.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready,
        restartCount: 0,
        started: ready,
        state: ready ? { running: { startedAt: now } } : { waiting: { reason: 'ImagePullBackOff', message: 'simulated: image never becomes ready' } },
      })),
    };
    await core.patchNamespacedPodStatus({ ...ref, body: { status } }, mergePatch).catch((e) => {
      if (e?.code !== 404) throw e;
    });
  };

  await pods.start();
  const workers = runWorkers(queue, opts.workers ?? 8, handle, (key, err) => log.debug('retrying pod', { key, err: String((err as Error)?.message ?? err) }));
  return {
    nodeName,
    async stop() {
      clearInterval(heartbeatTimer);
      pods.stop();
      queue.shutDown();
      await workers;
    },
  };
}
