// DefaultTolerationSeconds: a pod that does not tolerate the not-ready and unreachable taints
// (NoExecute) tolerates them for 300 seconds (--default-not-ready-toleration-seconds,
// --default-unreachable-toleration-seconds), so it is evicted five minutes after its node goes
// away rather than at once.
import type { AdmissionPlugin } from '../interface.ts';

export const defaultTolerationSecondsValue = 300;
const notReadyTaint = 'node.kubernetes.io/not-ready';
const unreachableTaint = 'node.kubernetes.io/unreachable';

export function addDefaultTolerations(spec: { tolerations?: any[] }, seconds: { notReady: number; unreachable: number }): void {
  const tolerations: any[] = spec.tolerations ?? [];
  // as upstream: an empty key matches every taint, an empty effect every effect
  const tolerates = (key: string) => tolerations.some((t) => (!t?.key || t.key === key) && (!t?.effect || t.effect === 'NoExecute'));
  const added = [
    [notReadyTaint, seconds.notReady],
    [unreachableTaint, seconds.unreachable],
  ]
    .filter(([key]) => !tolerates(key as string))
    .map(([key, tolerationSeconds]) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds }));
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

export const defaultTolerationSeconds: AdmissionPlugin = {
  name: 'DefaultTolerationSeconds',
  operations: ['CREATE', 'UPDATE'],

  admit(a, services) {
    if (a.group !== '' || a.resource !== 'pods' || a.subresource || !a.object) return;
    const config = services.registry.services.config ?? {};
    addDefaultTolerations((a.object.spec ??= {}), {
      notReady: config.defaultNotReadyTolerationSeconds ?? defaultTolerationSecondsValue,
      unreachable: config.defaultUnreachableTolerationSeconds ?? defaultTolerationSecondsValue,
    });
  },
};
