// Events for `kubectl describe`: each controller records under the component name
// kube-controller-manager uses for it, so the "From" column reads the same as upstream.
import { EventRecorder, type EventObject } from '@skiff/common';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ControllerContext } from '../controller-context.ts';

export function newEventRecorder(ctx: ControllerContext, component: string): EventRecorder {
  return EventRecorder.forKubeConfig(ctx.kubeConfig, { component, log: ctx.log });
}

/** The ObjectReference an event is about; uid keeps it off a later object of the same name. */
export function eventRef(obj: { metadata?: V1ObjectMeta }, apiVersion: string, kind: string): EventObject {
  return { apiVersion, kind, name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace, uid: obj.metadata?.uid };
}

/**
 * Sends what is queued before a controller's stop resolves, but at most `timeoutMs`: a stop on
 * lost leadership or shutdown must not hang on an apiserver that no longer answers.
 */
export async function flushEvents(recorder: EventRecorder, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  try {
    await Promise.race([recorder.flush(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
