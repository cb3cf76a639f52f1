// `--cleanup`: removes every chain and jump of ours, our pod routes and announced load-balancer
// addresses, then the proxy exits.
import { applyRuleset } from './iptables.ts';
import type { IptablesRunner } from './iptables.ts';
import { syncRoutes } from './routes.ts';
import { removeAllAnnounced } from './lb-announce.ts';

export async function cleanupAll(iptables?: IptablesRunner): Promise<void> {
  await applyRuleset(undefined, iptables);
  const { errors } = await syncRoutes([]);
  if (errors.length) throw new Error(`removing pod routes: ${errors.join('; ')}`);
  await removeAllAnnounced();
}
