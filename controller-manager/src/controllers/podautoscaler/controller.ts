// The horizontal pod autoscaler controller (upstream pkg/controller/podautoscaler): every
// --horizontal-pod-autoscaler-sync-period, each HorizontalPodAutoscaler reads its target's
// scale, asks every metric for a replica count (replica-calculator.ts), takes the largest,
// stabilizes and rate-limits it (normalize.ts), writes the scale when it changes and reports
// currentMetrics and the AbleToScale / ScalingActive / ScalingLimited conditions in status, with
// the events upstream records (SuccessfulRescale, FailedGetScale, FailedGetResourceMetric, ...).
import { AutoscalingV2Api, type V1Pod, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import { setStatusCondition, type Condition } from '@skiff/common/apimachinery/conditions';
import { parseSelector, type Selector } from '@skiff/common/apimachinery/label-selector';
import { milliQuantity } from '@skiff/common/apimachinery/quantity';
import { callJson } from '@skiff/common/bootstrap/http';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isConflict } from '../../lib/api-errors.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { MetricsClient, ScaleClient, type Scale } from './clients.ts';
import { type Behavior, ReplicaNormalizer } from './normalize.ts';
import { type CalculatorOptions, defaultCalculatorOptions, milliOf, resourceReplicas } from './replica-calculator.ts';

type Hpa = V2HorizontalPodAutoscaler;
type Json = Record<string, any>;

export interface AutoscalerSettings {
  syncPeriodSeconds: number;
  downscaleStabilizationSeconds: number;
  tolerance: number;
  cpuInitializationPeriodSeconds: number;
  initialReadinessDelaySeconds: number;
}

export const defaultAutoscalerSettings: AutoscalerSettings = {
  syncPeriodSeconds: 15,
  downscaleStabilizationSeconds: 300,
  tolerance: defaultCalculatorOptions.tolerance,
  cpuInitializationPeriodSeconds: defaultCalculatorOptions.cpuInitializationPeriodMs / 1000,
  initialReadinessDelaySeconds: defaultCalculatorOptions.delayOfInitialReadinessStatusMs / 1000,
};

/** One metric that could not be computed: the ScalingActive=False reason, the event's reason and text. */
class MetricFailure extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

interface MetricResult {
  replicas: number;
  /** how the SuccessfulRescale reason and ValidMetricFound name it */
  name: string;
  status: Json;
}

const hpaRef = (hpa: Hpa) => eventRef(hpa, 'autoscaling/v2', 'HorizontalPodAutoscaler');
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class HorizontalController {
  private readonly ctx: ControllerContext;
  private readonly settings: AutoscalerSettings;
  private readonly hpas: Informer<Hpa>;
  private readonly pods: Informer<V1Pod>;
  private readonly scales: ScaleClient;
  private readonly metrics: MetricsClient;
  private readonly normalizer: ReplicaNormalizer;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 60_000 });
  private readonly now: () => number;
  /** the generation each autoscaler was last seen with */
  private readonly generations = new Map<string, number | undefined>();

  constructor(ctx: ControllerContext, settings: AutoscalerSettings, now: () => number = Date.now) {
    this.ctx = ctx;
    this.settings = settings;
    this.now = now;
    const api = ctx.kubeConfig.makeApiClient(AutoscalingV2Api);
    this.hpas = ctx.informers.informerFor<Hpa>('/apis/autoscaling/v2/horizontalpodautoscalers', () => api.listHorizontalPodAutoscalerForAllNamespaces());
    this.pods = ctx.informers.pods();
    this.scales = new ScaleClient(ctx.kubeConfig);
    this.metrics = new MetricsClient(ctx.kubeConfig);
    this.normalizer = new ReplicaNormalizer(settings.downscaleStabilizationSeconds, now);
    this.events = newEventRecorder(ctx, 'horizontal-pod-autoscaler');
    this.hpas.on({
      add: (h) => {
        this.generations.set(keyOf(h), h.metadata?.generation);
        this.queue.add(keyOf(h));
      },
      // our own status writes come back as updates: only a spec change is worth an early sync
      update: (h) => {
        const key = keyOf(h);
        if (this.generations.get(key) !== h.metadata?.generation) this.queue.add(key);
        this.generations.set(key, h.metadata?.generation);
      },
      delete: (h) => {
        this.normalizer.forget(keyOf(h));
        this.generations.delete(keyOf(h));
      },
    });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: 'horizontalpodautoscaling',
      queue: this.queue,
      caches: [this.hpas, this.pods],
      workers: 2,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  private get calculatorOptions(): CalculatorOptions {
    return {
      tolerance: this.settings.tolerance,
      cpuInitializationPeriodMs: this.settings.cpuInitializationPeriodSeconds * 1000,
      delayOfInitialReadinessStatusMs: this.settings.initialReadinessDelaySeconds * 1000,
      nowMs: this.now(),
    };
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.hpas.get(name, namespace);
    if (!cached) {
      this.normalizer.forget(key);
      return;
    }
    const hpa = structuredClone(cached);
    try {
      await this.reconcile(key, hpa);
    } catch (e) {
      // a stale cache is retried at once; anything else waits for the next period, as upstream
      // requeues every autoscaler at the resync interval whatever happened (no back-off storm of events)
      if (isConflict(e)) throw e;
      this.ctx.log.warn('failed to reconcile HorizontalPodAutoscaler', { hpa: key, err: errorMessage(e) });
    }
    return { requeueAfterMs: this.settings.syncPeriodSeconds * 1000 };
  }

  private setCondition(hpa: Hpa, type: string, status: 'True' | 'False', reason: string, message: string): void {
    hpa.status ??= { desiredReplicas: 0 };
    const conditions = (hpa.status.conditions ?? []) as unknown as Condition[];
    setStatusCondition(conditions, { type, status, reason, message }, rfc3339(this.now()));
    hpa.status.conditions = conditions as any;
  }

  private warn(hpa: Hpa, reason: string, message: string): void {
    this.events.event(hpaRef(hpa), 'Warning', reason, message);
  }

  /** reconcileAutoscaler */
  private async reconcile(key: string, hpa: Hpa): Promise<void> {
    const namespace = hpa.metadata?.namespace ?? 'default';
    const spec = hpa.spec!;
    const ref = spec.scaleTargetRef;
    const statusBefore = JSON.stringify(hpa.status ?? {});
    const reference = `${ref.kind}/${ref.name}`;

    let scale: Scale;
    try {
      scale = await this.scales.get(namespace, ref);
    } catch (e) {
      const msg = errorMessage(e);
      this.warn(hpa, 'FailedGetScale', msg);
      this.setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      await this.writeStatus(hpa, statusBefore, hpa.status?.currentReplicas ?? 0, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics, false);
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`);
    }
    this.setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");

    const currentReplicas = scale.spec?.replicas ?? 0;
    const minReplicas = spec.minReplicas ?? 1;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let metricStatuses: Json[] | undefined = hpa.status?.currentMetrics as Json[] | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // autoscaling is off while the target is scaled to zero by hand
      this.setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      let computed: { replicas: number; name: string; statuses: Json[] };
      try {
        computed = await this.replicasForMetrics(hpa, scale, currentReplicas);
      } catch (e) {
        metricStatuses = e instanceof MetricsFailed ? e.statuses : metricStatuses;
        await this.writeStatus(hpa, statusBefore, currentReplicas, hpa.status?.desiredReplicas ?? currentReplicas, metricStatuses, false);
        if (e instanceof MetricsFailed) {
          this.warn(hpa, 'FailedComputeMetricsReplicas', e.message);
          return; // retried at the next sync period, as upstream does
        }
        throw e;
      }
      metricStatuses = computed.statuses;
      const normalized = this.normalizer.normalize({
        key,
        currentReplicas,
        desiredReplicas: computed.replicas,
        minReplicas,
        maxReplicas: spec.maxReplicas,
        behavior: spec.behavior as Behavior | undefined,
      });
      this.setCondition(hpa, 'AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message);
      this.setCondition(hpa, 'ScalingLimited', normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${computed.name} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    }

    const rescale = desiredReplicas !== currentReplicas && !(currentReplicas === 0 && minReplicas !== 0);
    if (rescale) {
      try {
        await this.scales.update(namespace, ref, scale, desiredReplicas);
      } catch (e) {
        const msg = errorMessage(e);
        this.warn(hpa, 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg}`);
        this.setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        await this.writeStatus(hpa, statusBefore, currentReplicas, hpa.status?.desiredReplicas ?? currentReplicas, metricStatuses, false);
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      this.setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      this.events.event(hpaRef(hpa), 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      this.normalizer.recordScale(key, spec.behavior as Behavior | undefined, currentReplicas, desiredReplicas);
      this.ctx.log.info('successful rescale', { hpa: key, reference, from: currentReplicas, to: desiredReplicas, reason: rescaleReason });
    } else {
      desiredReplicas = currentReplicas === 0 && minReplicas !== 0 ? 0 : currentReplicas;
    }
    await this.writeStatus(hpa, statusBefore, currentReplicas, desiredReplicas, metricStatuses, rescale);
  }

  /** computeReplicasForMetrics: the largest proposal of the metrics that could be computed. */
  private async replicasForMetrics(hpa: Hpa, scale: Scale, currentReplicas: number): Promise<{ replicas: number; name: string; statuses: Json[] }> {
    const selectorText = scale.status?.selector ?? '';
    if (!selectorText) {
      this.warn(hpa, 'SelectorRequired', 'selector is required');
      this.setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      throw new MetricsFailed('selector is required', []);
    }
    let selector: Selector;
    try {
      selector = parseSelector(selectorText);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${errorMessage(e)}`;
      this.warn(hpa, 'InvalidSelector', msg);
      this.setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      throw new MetricsFailed(msg, []);
    }
    const namespace = hpa.metadata?.namespace ?? 'default';
    const pods = this.pods.list(namespace).filter((p) => selector.matches(p.metadata?.labels));
    const specs = (hpa.spec?.metrics ?? []) as Json[];
    const statuses: Json[] = [];
    let replicas = -1;
    let name = '';
    let invalid = 0;
    let firstError: MetricFailure | undefined;
    for (const m of specs) {
      try {
        const r = await this.replicasForMetric(m, namespace, selectorText, pods, currentReplicas);
        statuses.push(r.status);
        if (r.replicas > replicas) [replicas, name] = [r.replicas, r.name];
      } catch (e) {
        const failure = e instanceof MetricFailure ? e : new MetricFailure('FailedGetResourceMetric', errorMessage(e));
        this.warn(hpa, failure.reason, failure.message);
        statuses.push({ type: '' }); // upstream keeps an empty status for a metric it could not read
        invalid++;
        firstError ??= failure;
      }
    }
    // all metrics failed, or some failed and the rest would scale down: nothing is changed
    if (firstError && (invalid >= specs.length || replicas < currentReplicas)) {
      this.setCondition(hpa, 'ScalingActive', 'False', firstError.reason, `the HPA was unable to compute the replica count: ${firstError.message}`);
      throw new MetricsFailed(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`, statuses);
    }
    this.setCondition(hpa, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${name}`);
    return { replicas, name, statuses };
  }

  private async replicasForMetric(m: Json, namespace: string, selector: string, pods: V1Pod[], currentReplicas: number): Promise<MetricResult> {
    switch (m.type) {
      case 'Resource':
      case 'ContainerResource': {
        const container = m.type === 'ContainerResource';
        const src = container ? m.containerResource : m.resource;
        const reason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
        const utilization: number | undefined = src.target?.averageUtilization ?? undefined;
        const what = utilization !== undefined ? 'utilization' : 'usage';
        let samples: Awaited<ReturnType<MetricsClient['resource']>>;
        try {
          samples = await this.metrics.resource(namespace, selector, src.name, container ? src.container : undefined);
        } catch (e) {
          throw new MetricFailure(reason, `failed to get ${src.name} ${what}: unable to get metrics for resource ${src.name}: ${errorMessage(e)}`);
        }
        let r: ReturnType<typeof resourceReplicas>;
        try {
          const target = utilization !== undefined ? { utilization } : { averageMilli: milliOf(String(src.target?.averageValue ?? '0')) };
          r = resourceReplicas(currentReplicas, pods, samples, src.name, target, this.calculatorOptions, container ? src.container : undefined);
        } catch (e) {
          throw new MetricFailure(reason, `failed to get ${src.name} ${what}: ${errorMessage(e)}`);
        }
        const current: Json = { averageValue: milliQuantity(r.rawAverage).toString() };
        if (r.utilization !== undefined) current.averageUtilization = r.utilization;
        const kind = container ? 'containerResource' : 'resource';
        const statusSrc: Json = { name: src.name, current };
        if (container) statusSrc.container = src.container;
        const label = container ? `${src.name} container resource` : `${src.name} resource`;
        return {
          replicas: r.replicas,
          name: utilization !== undefined ? `${label} utilization (percentage of request)` : label,
          status: { type: m.type, [kind]: statusSrc },
        };
      }
      case 'Pods': {
        const metricName = m.pods?.metric?.name ?? '';
        let samples: Awaited<ReturnType<MetricsClient['podsMetric']>>;
        try {
          const metricSelector = m.pods?.metric?.selector?.matchLabels
            ? Object.entries(m.pods.metric.selector.matchLabels as Record<string, string>)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')
            : undefined;
          samples = await this.metrics.podsMetric(namespace, selector, metricName, metricSelector);
        } catch (e) {
          throw new MetricFailure('FailedGetPodsMetric', `unable to get metric ${metricName}: ${errorMessage(e)}`);
        }
        const target = milliOf(String(m.pods?.target?.averageValue ?? '0'));
        const r = resourceReplicas(currentReplicas, pods, samples, '', { averageMilli: target }, this.calculatorOptions);
        return {
          replicas: r.replicas,
          name: `pods metric ${metricName}`,
          status: { type: 'Pods', pods: { metric: m.pods.metric, current: { averageValue: milliQuantity(r.rawAverage).toString() } } },
        };
      }
      case 'Object':
        throw new MetricFailure('FailedGetObjectMetric', `unable to get metric ${m.object?.metric?.name}: ${await this.apiMissing('custom.metrics.k8s.io')}`);
      case 'External':
        throw new MetricFailure(
          'FailedGetExternalMetric',
          `unable to get external metric ${m.external?.metric?.name}: ${await this.apiMissing('external.metrics.k8s.io')}`,
        );
      default:
        throw new MetricFailure('InvalidMetricSourceType', `unknown metric source type "${m.type}"`);
    }
  }

  /** Why a metrics API cannot answer: not registered, or what it said. */
  private async apiMissing(group: string): Promise<string> {
    try {
      await callJson(this.ctx.kubeConfig, 'GET', `/apis/${group}`);
      return `Object and External metrics are not read by this controller yet (${group} is registered)`;
    } catch (e) {
      return `no metrics API serves ${group}: ${errorMessage(e)}`;
    }
  }

  /** setStatus + updateStatusIfNeeded: written only when something changed. */
  private async writeStatus(hpa: Hpa, before: string, current: number, desired: number, metrics: Json[] | undefined, rescaled: boolean): Promise<void> {
    const status: Json = {
      ...(hpa.status ?? {}),
      observedGeneration: hpa.metadata?.generation,
      currentReplicas: current,
      desiredReplicas: desired,
    };
    if (metrics) status.currentMetrics = metrics.filter((m) => m.type);
    if (rescaled) status.lastScaleTime = rfc3339(this.now());
    hpa.status = status as Hpa['status'];
    if (JSON.stringify(status) === before) return;
    const { namespace, name } = { namespace: hpa.metadata?.namespace ?? 'default', name: hpa.metadata?.name ?? '' };
    await callJson(
      this.ctx.kubeConfig,
      'PUT',
      `/apis/autoscaling/v2/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers/${encodeURIComponent(name)}/status`,
      {
        ...hpa,
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
      },
    );
  }
}

/** Every metric failed (or the rest would scale down): the status is written, the sync ends. */
class MetricsFailed extends Error {
  readonly statuses: Json[];
  constructor(message: string, statuses: Json[]) {
    super(message);
    this.statuses = statuses;
  }
}

export const horizontalPodAutoscalerController: ControllerDescriptor = {
  name: 'horizontalpodautoscaling',
  async start(ctx) {
    const c = ctx.config;
    return new HorizontalController(ctx, {
      syncPeriodSeconds: c.hpaSyncPeriodSeconds ?? defaultAutoscalerSettings.syncPeriodSeconds,
      downscaleStabilizationSeconds: c.hpaDownscaleStabilizationSeconds ?? defaultAutoscalerSettings.downscaleStabilizationSeconds,
      tolerance: c.hpaTolerance ?? defaultAutoscalerSettings.tolerance,
      cpuInitializationPeriodSeconds: c.hpaCpuInitializationPeriodSeconds ?? defaultAutoscalerSettings.cpuInitializationPeriodSeconds,
      initialReadinessDelaySeconds: c.hpaInitialReadinessDelaySeconds ?? defaultAutoscalerSettings.initialReadinessDelaySeconds,
    }).run();
  },
};
