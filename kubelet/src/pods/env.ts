// A container's environment: env (value with $(VAR) expansion, valueFrom of every kind) and
// envFrom, resolved the way the kubelet does; a missing non-optional source is an error the
// container reports as CreateContainerConfigError.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { configMapEntries, secretEntries, type PodObjectSource } from '../api/objects.ts';
import { fieldRefValue, resourceFieldValue, type NodeFacts } from './field-paths.ts';

export class ContainerConfigError extends Error {}

/** Expands $(NAME) from vars; $$(NAME) escapes; unknown references stay as written. */
export function expandVars(input: string, vars: Record<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && name in vars ? vars[name]! : whole;
  });
}

export async function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  podIP: string,
  node: NodeFacts,
  objects: PodObjectSource,
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    let entries: Record<string, Buffer> | null = null;
    if (from.configMapRef) {
      const cm = await objects.configMap(ns, from.configMapRef.name ?? '');
      if (!cm && !from.configMapRef.optional) throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      entries = cm ? configMapEntries(cm) : null;
    } else if (from.secretRef) {
      const s = await objects.secret(ns, from.secretRef.name ?? '');
      if (!s && !from.secretRef.optional) throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      entries = s ? secretEntries(s) : null;
    }
    for (const [k, v] of Object.entries(entries ?? {})) env[(from.prefix ?? '') + k] = v.toString();
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = expandVars(e.value, env);
      continue;
    }
    const src = e.valueFrom;
    if (!src) {
      env[e.name] = '';
      continue;
    }
    if (src.fieldRef) env[e.name] = fieldRefValue(pod, src.fieldRef, podIP, node);
    else if (src.resourceFieldRef) env[e.name] = resourceFieldValue(pod, src.resourceFieldRef, container, node);
    else if (src.configMapKeyRef) {
      const ref = src.configMapKeyRef;
      const cm = await objects.configMap(ns, ref.name ?? '');
      const v = cm ? configMapEntries(cm)[ref.key] : undefined;
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      env[e.name] = v.toString();
    } else if (src.secretKeyRef) {
      const ref = src.secretKeyRef;
      const s = await objects.secret(ns, ref.name ?? '');
      const v = s ? secretEntries(s)[ref.key] : undefined;
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      env[e.name] = v.toString();
    }
  }
  return env;
}
