// DefaultBinder: POST pods/NAME/binding through the API.
import type { BindPlugin } from '../framework/interface.ts';
import { errorStatus } from '../framework/status.ts';
import type { PodInfo } from '../cache/pod-info.ts';

export function defaultBinder(bind: (pod: PodInfo, nodeName: string) => Promise<void>): BindPlugin {
  return {
    name: 'DefaultBinder',
    async bind(_state, pod, nodeName) {
      try {
        await bind(pod, nodeName);
        return null;
      } catch (e) {
        return errorStatus(`binding rejected: ${(e as Error).message}`);
      }
    },
  };
}
