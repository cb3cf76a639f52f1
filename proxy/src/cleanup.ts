// `--cleanup`: removes every chain and jump of ours, our pod routes and announced load-balancer
// addresses, then the proxy exits.
import { applyRuleset } from './iptables.ts';
import { destroyAllSets } from './netpol/ipset.ts';
import type { IptablesRunner } from './iptables.ts';
import { syncRoutes } from './routes.ts';
import { removeAllAnnounced } from './lb-announce.ts';

export async function cleanupAll(iptables?: IptablesRunner): Promise<void> {
  await applyRuleset(undefined, iptables);
  // network policy sets, now that no rule uses them; a node without the ipset tool has none
  await destroyAllSets().catch((e: Error) => {
    if (!/ENOENT/.test(e.message)) throw e;
  });
  const { errors } = await syncRoutes([]);
  if (errors.length) throw new Error(`removing pod routes: ${errors.join('; ')}`);
  await removeAllAnnounced();
}
