// @kubernetes/client-node 1.4 builds a new https.Agent for every API call, so each binding
// paid a full TLS handshake (most of the scheduler's CPU in the benchmark). This keeps the
// first agent it builds, with keep-alive on, and hands that one to every later call of the
// same KubeConfig. Client certificates are read once: a rotated certificate needs a restart.
import type { Agent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export function reuseConnections(kc: KubeConfig, maxSockets = 64): KubeConfig {
  const original = kc.applySecurityAuthentication.bind(kc);
  let shared: Agent | undefined;
  kc.applySecurityAuthentication = async (context) => {
    await original(context);
    if (!shared) {
      const agent = context.getAgent() as Agent | undefined;
      if (!agent) return;
      // the fields Agent reads when a socket is freed; not in @types/node
      Object.assign(agent, { keepAlive: true, keepAliveMsecs: 1000 });
      agent.maxSockets = maxSockets;
      agent.maxFreeSockets = maxSockets;
      shared = agent;
    }
    context.setAgent(shared);
  };
  return kc;
}
