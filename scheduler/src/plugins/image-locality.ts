// ImageLocality: prefer nodes that already have the pod's images, weighted by image size
// and by how widely the image is spread (an image on every node says little).
import type { ScorePlugin } from '../framework/interface.ts';
import { maxNodeScore } from '../framework/interface.ts';
import { normalizedImageName } from '../cache/node-info.ts';

const mb = 1024 * 1024;
const minThreshold = 23 * mb;
const maxContainerThreshold = 1000 * mb;

export function imageLocality(): ScorePlugin {
  return {
    name: 'ImageLocality',
    score(_state, pod, node, view) {
      const spec: any = pod.pod.spec ?? {};
      const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
      const total = view.nodes().length;
      if (total === 0 || node.images.size === 0) return 0;
      let sum = 0;
      for (const c of containers) {
        if (!c.image) continue;
        const name = normalizedImageName(c.image);
        const size = node.images.get(name);
        if (size !== undefined) sum += Math.floor(size * (view.imageNodeCount(name) / total));
      }
      const maxThreshold = maxContainerThreshold * Math.max(1, containers.length);
      const clamped = Math.min(Math.max(sum, minThreshold), maxThreshold);
      return Math.floor((maxNodeScore * (clamped - minThreshold)) / (maxThreshold - minThreshold));
    },
  };
}
