// Which discovery document a client asked for. kubectl (client-go) sends, most preferred first:
//   1.27-1.29: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json
//   1.30+:     application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,<v2beta1>,application/json
// (newer ones may put a `profile=nopeer` variant first). client-go only decodes the aggregated
// body when the response Content-Type names the same g/v/as, so we answer with exactly that type.

export type AggregatedVersion = 'v2' | 'v2beta1';

export const aggregatedContentType: Record<AggregatedVersion, string> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
};

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type, ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0)
          params[p.slice(0, eq).trim().toLowerCase()] = p
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
      }
      return { type: (type ?? '').toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

const plainTypes = new Set(['application/json', 'application/*', '*/*', 'application/yaml', 'application/vnd.kubernetes.protobuf']);

/**
 * The aggregated discovery version the Accept header prefers, or undefined when the client
 * prefers (or only takes) the legacy documents. Entries are taken in the client's order.
 */
export function negotiateAggregated(accept: string | undefined): AggregatedVersion | undefined {
  for (const m of parseAccept(accept ?? '')) {
    if (m.params.q === '0') continue;
    if (m.params.as !== undefined || m.params.g !== undefined) {
      const isAggregated = m.params.g === 'apidiscovery.k8s.io' && m.params.as === 'APIGroupDiscoveryList';
      // We serve aggregated discovery as JSON only; a protobuf variant falls through to the next entry.
      if (isAggregated && m.type === 'application/json' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) return m.params.v;
      continue;
    }
    if (plainTypes.has(m.type)) return undefined;
  }
  return undefined;
}
