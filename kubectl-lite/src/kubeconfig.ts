// Which cluster and user to talk to: --kubeconfig, else $KUBECONFIG (the first file of a
// list), else ~/.kube/config, else the `make up` cluster's .skiff/kubeconfig; --context
// picks a context other than current-context.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './errors.ts';

export interface KubeconfigChoice {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ClusterTarget {
  kc: KubeConfig;
  /** https://host:port without a trailing slash */
  server: string;
  /** the context's namespace, `default` when it names none */
  namespace: string;
  contextName: string;
}

function kubeconfigPath(choice: KubeconfigChoice): string {
  if (choice.kubeconfig) return choice.kubeconfig;
  const fromEnv = choice.env.KUBECONFIG?.split(delimiter).find((p) => p.length > 0);
  if (fromEnv) return fromEnv;
  const home = join(choice.env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  const skiff = join(choice.cwd ?? process.cwd(), '.skiff', 'kubeconfig');
  if (existsSync(skiff)) return skiff;
  throw new CliError('no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or start a cluster with `make up`');
}

export function loadTarget(choice: KubeconfigChoice): ClusterTarget {
  const path = kubeconfigPath(choice);
  if (!existsSync(path)) throw new CliError(`kubeconfig ${path} does not exist`);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${path}: ${(err as Error).message}`);
  }
  if (choice.context) {
    if (!kc.getContextObject(choice.context)) throw new CliError(`context "${choice.context}" does not exist in ${path}`);
    kc.setCurrentContext(choice.context);
  }
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  if (!context) throw new CliError(`kubeconfig ${path} has no current context; pass --context`);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new CliError(`context "${contextName}" names no cluster with a server address`);
  return { kc, server: cluster.server.replace(/\/+$/, ''), namespace: context.namespace || 'default', contextName };
}
