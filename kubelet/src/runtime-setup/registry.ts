// Makes sure the local image registry answers, starting it via scripts/registry.sh when not.
import { runScript } from './run-script.ts';

export interface RegistryHandle {
  address: string;
  /** True when this call started it; only then does stop() stop it. */
  startedHere: boolean;
  stop(): Promise<void>;
}

export async function registryAnswers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function ensureRegistry(address: string = process.env.SKIFF_REGISTRY_ADDR ?? '127.0.0.1:5000'): Promise<RegistryHandle> {
  if (await registryAnswers(address)) return { address, startedHere: false, stop: async () => {} };
  await runScript('scripts/registry.sh', ['start']);
  if (!(await registryAnswers(address))) throw new Error(`registry on ${address} does not answer after scripts/registry.sh start`);
  return {
    address,
    startedHere: true,
    stop: async () => {
      await runScript('scripts/registry.sh', ['stop']);
    },
  };
}
