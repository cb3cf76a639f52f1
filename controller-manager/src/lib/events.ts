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

/** What is queued goes out before a controller's stop resolves, but at most 5 s. */
export const FLUSH_TIMEOUT_MS = 5000;
