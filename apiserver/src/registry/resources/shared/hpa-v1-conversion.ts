// autoscaling/v1 <-> v2 HorizontalPodAutoscaler, as pkg/apis/autoscaling/v1/conversion.go does:
// v1 carries one metric (targetCPUUtilizationPercentage / currentCPUUtilizationPercentage);
// every other metric, the conditions and the behavior travel as JSON in annotations so that a
// v1 read-modify-write does not lose what a v2 client set.
import type { KObject } from '../../types.ts';

export const metricSpecsAnnotation = 'autoscaling.alpha.kubernetes.io/metrics';
export const metricStatusesAnnotation = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const conditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';
export const behaviorAnnotation = 'autoscaling.alpha.kubernetes.io/behavior';
const conversionAnnotations = [metricSpecsAnnotation, metricStatusesAnnotation, conditionsAnnotation, behaviorAnnotation];

/** autoscaling.DefaultCPUUtilization, applied in conversion as upstream does (it needs the annotations). */
const defaultCpuUtilization = 80;

type Json = Record<string, any>;
const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function parseAnnotation(annotations: Record<string, string> | undefined, key: string): any[] | Json | undefined {
  const text = annotations?.[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // upstream fails the conversion; an unreadable annotation is dropped instead
  }
}

// ---------------- metric specs ----------------

function specV1ToV2(m: Json): Json {
  switch (m?.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      const target =
        s.targetAverageUtilization != null
          ? { type: 'Utilization', averageUtilization: s.targetAverageUtilization }
          : { type: 'AverageValue', averageValue: s.targetAverageValue };
      return { type: m.type, [key]: defined({ name: s.name, container: s.container, target }) };
    }
    case 'Pods': {
      const s = m.pods ?? {};
      return {
        type: 'Pods',
        pods: { metric: defined({ name: s.metricName, selector: s.selector }), target: { type: 'AverageValue', averageValue: s.targetAverageValue } },
      };
    }
    case 'Object': {
      const s = m.object ?? {};
      const target = s.averageValue != null ? { type: 'AverageValue', averageValue: s.averageValue } : { type: 'Value', value: s.targetValue };
      return { type: 'Object', object: { describedObject: s.target, metric: defined({ name: s.metricName, selector: s.selector }), target } };
    }
    case 'External': {
      const s = m.external ?? {};
      const target = s.targetAverageValue != null ? { type: 'AverageValue', averageValue: s.targetAverageValue } : { type: 'Value', value: s.targetValue };
      return { type: 'External', external: { metric: defined({ name: s.metricName, selector: s.metricSelector }), target } };
    }
    default:
      return m;
  }
}

function specV2ToV1(m: Json): Json {
  switch (m?.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      return {
        type: m.type,
        [key]: defined({
          name: s.name,
          container: s.container,
          targetAverageUtilization: s.target?.averageUtilization,
          targetAverageValue: s.target?.averageValue,
        }),
      };
    }
    case 'Pods':
      return {
        type: 'Pods',
        pods: defined({ metricName: m.pods?.metric?.name, selector: m.pods?.metric?.selector, targetAverageValue: m.pods?.target?.averageValue }),
      };
    case 'Object': {
      const s = m.object ?? {};
      return {
        type: 'Object',
        object: defined({
          target: s.describedObject,
          metricName: s.metric?.name,
          selector: s.metric?.selector,
          targetValue: s.target?.value,
          averageValue: s.target?.averageValue,
        }),
      };
    }
    case 'External': {
      const s = m.external ?? {};
      return {
        type: 'External',
        external: defined({
          metricName: s.metric?.name,
          metricSelector: s.metric?.selector,
          targetValue: s.target?.value,
          targetAverageValue: s.target?.averageValue,
        }),
      };
    }
    default:
      return m;
  }
}

// ---------------- metric statuses ----------------

function statusV1ToV2(m: Json): Json {
  switch (m?.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      return {
        type: m.type,
        [key]: defined({
          name: s.name,
          container: s.container,
          current: defined({ averageUtilization: s.currentAverageUtilization, averageValue: s.currentAverageValue }),
        }),
      };
    }
    case 'Pods':
      return {
        type: 'Pods',
        pods: { metric: defined({ name: m.pods?.metricName, selector: m.pods?.selector }), current: { averageValue: m.pods?.currentAverageValue } },
      };
    case 'Object': {
      const s = m.object ?? {};
      return {
        type: 'Object',
        object: {
          describedObject: s.target,
          metric: defined({ name: s.metricName, selector: s.selector }),
          current: defined({ value: s.currentValue, averageValue: s.averageValue }),
        },
      };
    }
    case 'External': {
      const s = m.external ?? {};
      return {
        type: 'External',
        external: {
          metric: defined({ name: s.metricName, selector: s.metricSelector }),
          current: defined({ value: s.currentValue, averageValue: s.currentAverageValue }),
        },
      };
    }
    default:
      return m;
  }
}

function statusV2ToV1(m: Json): Json {
  switch (m?.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      return {
        type: m.type,
        [key]: defined({
          name: s.name,
          container: s.container,
          currentAverageUtilization: s.current?.averageUtilization,
          currentAverageValue: s.current?.averageValue,
        }),
      };
    }
    case 'Pods':
      return {
        type: 'Pods',
        pods: defined({ metricName: m.pods?.metric?.name, selector: m.pods?.metric?.selector, currentAverageValue: m.pods?.current?.averageValue }),
      };
    case 'Object': {
      const s = m.object ?? {};
      return {
        type: 'Object',
        object: defined({
          target: s.describedObject,
          metricName: s.metric?.name,
          selector: s.metric?.selector,
          currentValue: s.current?.value,
          averageValue: s.current?.averageValue,
        }),
      };
    }
    case 'External': {
      const s = m.external ?? {};
      return {
        type: 'External',
        external: defined({
          metricName: s.metric?.name,
          metricSelector: s.metric?.selector,
          currentValue: s.current?.value,
          currentAverageValue: s.current?.averageValue,
        }),
      };
    }
    default:
      return m;
  }
}

const isCpuUtilizationSpec = (m: Json) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.averageUtilization != null;
const isCpuStatus = (m: Json) => m?.type === 'Resource' && m.resource?.name === 'cpu';

/** What a v1 client sent, in the stored (v2) form. */
export function hpaFromV1(obj: KObject): KObject {
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const otherSpecs = parseAnnotation(annotations, metricSpecsAnnotation);
  const otherStatuses = parseAnnotation(annotations, metricStatusesAnnotation);
  const conditions = parseAnnotation(annotations, conditionsAnnotation);
  const behavior = parseAnnotation(annotations, behaviorAnnotation);
  for (const k of conversionAnnotations) delete annotations[k];
  const metadata = { ...obj.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;

  const v1 = obj.spec ?? {};
  const metrics: Json[] = Array.isArray(otherSpecs) ? otherSpecs.map(specV1ToV2) : [];
  if (v1.targetCPUUtilizationPercentage != null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: v1.targetCPUUtilizationPercentage } } });
  }
  if (metrics.length === 0) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCpuUtilization } } });
  }
  const spec = defined({
    scaleTargetRef: v1.scaleTargetRef,
    minReplicas: v1.minReplicas,
    maxReplicas: v1.maxReplicas,
    metrics,
    behavior: behavior && !Array.isArray(behavior) ? behavior : undefined,
  });

  const out: KObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata, spec };
  if (obj.status) {
    const s = obj.status;
    const current: Json[] = Array.isArray(otherStatuses) ? otherStatuses.map(statusV1ToV2) : [];
    if (s.currentCPUUtilizationPercentage != null) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: s.currentCPUUtilizationPercentage } } });
    }
    out.status = defined({
      observedGeneration: s.observedGeneration,
      lastScaleTime: s.lastScaleTime,
      currentReplicas: s.currentReplicas,
      desiredReplicas: s.desiredReplicas,
      currentMetrics: current.length > 0 ? current : undefined,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    });
  }
  return out;
}

/** The stored (v2) object as a v1 client reads it. */
export function hpaToV1(obj: KObject): KObject {
  const spec = obj.spec ?? {};
  const metrics: Json[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilizationSpec);
  const others = metrics.filter((m) => m !== cpu).map(specV2ToV1);
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  if (others.length > 0) annotations[metricSpecsAnnotation] = JSON.stringify(others);
  if (spec.behavior) annotations[behaviorAnnotation] = JSON.stringify(spec.behavior);

  const out: KObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: obj.metadata,
    spec: defined({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization,
    }),
  };
  if (obj.status) {
    const s = obj.status;
    const current: Json[] = Array.isArray(s.currentMetrics) ? s.currentMetrics : [];
    const cpuNow = current.find(isCpuStatus);
    const otherStatuses = current.filter((m) => m !== cpuNow).map(statusV2ToV1);
    if (otherStatuses.length > 0) annotations[metricStatusesAnnotation] = JSON.stringify(otherStatuses);
    if (Array.isArray(s.conditions) && s.conditions.length > 0) annotations[conditionsAnnotation] = JSON.stringify(s.conditions);
    out.status = defined({
      observedGeneration: s.observedGeneration,
      lastScaleTime: s.lastScaleTime,
      currentReplicas: s.currentReplicas ?? 0,
      desiredReplicas: s.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource?.current?.averageUtilization,
    });
  }
  if (Object.keys(annotations).length > 0) out.metadata = { ...obj.metadata, annotations };
  return out;
}
