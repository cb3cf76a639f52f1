// Finding the pod and container that logs and exec act on: `POD`, `pod/POD`, or a
// workload (`deploy/web`) whose first pod is used, as kubectl does.
import { selectorFromObject, selectorFromSet } from '@skiff/common/apimachinery/label-selector';
import { resourcePath } from './discovery.ts';
import { CliError, UsageError } from './errors.ts';
import type { Session } from './session.ts';

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export async function findPod(s: Session, ref: string, usage: string): Promise<any> {
  const slash = ref.indexOf('/');
  if (slash < 0) return s.client.get(`/api/v1/namespaces/${encodeURIComponent(s.namespace)}/pods/${encodeURIComponent(ref)}`);
  if (slash === 0 || slash === ref.length - 1) throw new UsageError(`"${ref}" is not TYPE/NAME`, usage);
  const info = await s.discovery.resolve(ref.slice(0, slash));
  const name = ref.slice(slash + 1);
  const obj = await s.client.get(resourcePath(info, s.namespace, name));
  if (info.kind === 'Pod') return obj;
  // a Service selects with a plain map, workloads with a metav1.LabelSelector (polymorphichelpers.SelectorsForObject)
  const selector = info.kind === 'Service' ? selectorFromSet(obj.spec?.selector) : obj.spec?.selector ? selectorFromObject(obj.spec.selector) : undefined;
  if (!selector || selector.isEmpty()) throw new CliError(`cannot find pods of ${info.kind.toLowerCase()} "${name}": it has no label selector`);
  const labelSelector = selector.toString();
  const pods = (await s.client.get(`/api/v1/namespaces/${encodeURIComponent(s.namespace)}/pods`, { query: { labelSelector } })).items ?? [];
  if (pods.length === 0) throw new CliError(`no pods found for ${info.kind.toLowerCase()} "${name}"`);
  // prefer a running pod, then the oldest, like kubectl's pod picker
  pods.sort(
    (a: any, b: any) =>
      Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running') ||
      String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
  );
  return pods[0];
}

/** -c, else the default-container annotation, else the only (or first, with a note) container. */
export function pickContainer(s: Session, pod: any, requested: string | undefined): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const init: string[] = (pod.spec?.initContainers ?? []).map((c: any) => c.name);
  if (requested) {
    if (!names.includes(requested) && !init.includes(requested)) {
      throw new CliError(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    }
    return requested;
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && names.includes(annotated)) return annotated;
  if (names.length === 0) throw new CliError(`pod ${pod.metadata.name} has no containers`);
  if (names.length > 1) s.io.stderr.write(`Defaulted container "${names[0]}" out of: ${[...names, ...init.map((n) => `${n} (init)`)].join(', ')}\n`);
  return names[0]!;
}
