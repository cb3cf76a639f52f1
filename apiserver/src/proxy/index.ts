// The apiserver's proxy to kubelets (pods/log, exec, attach, portforward; nodes/proxy).
export { createPodProxy } from './pod-proxy.ts';
export type { PodProxyDeps } from './pod-proxy.ts';
export { routeUpgradesAsRequests, takeUpgradeSocket } from './upgrade-routing.ts';
export { kubeletTarget, kubeletPath } from './node-target.ts';
