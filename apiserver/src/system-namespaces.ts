// As kube-apiserver's system-namespaces controller does: recreate default, kube-system,
// kube-public and kube-node-lease whenever they are missing. kube-apiserver checks once a
// minute; Skiff checks every 10 s by default (--system-namespaces-interval-seconds) so that the
// components that keep their Leases in kube-node-lease and kube-system get them back quickly
// after a `kubectl delete ns --all`, and a test can see it happen. A namespace still
// Terminating exists, so it is recreated only once the namespace controller has removed it.
import type { Logger } from '@skiff/common';
import { ensureSystemNamespaces } from './bootstrap.ts';
import type { ApiRegistry } from './registry/api-registry.ts';

export function startSystemNamespacesLoop(registry: ApiRegistry, intervalSeconds: number, log: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    ensureSystemNamespaces(registry)
      .catch((e: unknown) => log.warn('recreating system namespaces failed', { err: e as Error }))
      .finally(() => {
        running = false;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
