// postStart and preStop handlers: exec (CRI ExecSync), httpGet, sleep.
import type { V1Container, V1LifecycleHandler } from '@kubernetes/client-node';
import { runProbe } from './probes.ts';

export async function runHook(
  handler: V1LifecycleHandler,
  container: V1Container,
  containerId: string,
  podIP: string,
  exec: (cmd: string[], timeoutSeconds: number) => Promise<{ exitCode: number; output: string }>,
  timeoutSeconds: number,
): Promise<{ ok: boolean; message: string }> {
  if (handler.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(handler.sleep!.seconds, timeoutSeconds) * 1000));
    return { ok: true, message: '' };
  }
  if (handler.exec) {
    try {
      const r = await exec(handler.exec.command ?? [], timeoutSeconds);
      return {
        ok: r.exitCode === 0,
        message: r.exitCode === 0 ? '' : `command '${(handler.exec.command ?? []).join(' ')}' exited with ${r.exitCode}: ${r.output}`,
      };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }
  if (handler.httpGet) {
    return runProbe({ httpGet: handler.httpGet, timeoutSeconds }, { podIP, container, exec });
  }
  return { ok: false, message: 'lifecycle handler has no action' };
}
