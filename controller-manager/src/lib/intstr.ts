// IntOrString scaling as k8s.io/apimachinery intstr.GetScaledValueFromIntOrPercent.
import type { IntOrString } from '@kubernetes/client-node';

export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (!percent) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: "${value}"`);
  }
  const scaled = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
