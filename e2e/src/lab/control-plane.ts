// A control plane of its own for a lab that must not touch a `make up` cluster: etcd,
// apiserver, controller-manager (short node timeouts), scheduler, cluster DNS and the metrics
// server on free ports,
// the apiserver listening on every address so that the worker namespaces reach it over the
// lab bridge. Processes are children of this process and stopped by PID. As in `make up`, etcd
// speaks TLS with client certificates of its own CA, and Secrets are encrypted in it (aescbc).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  makeClientCert,
  makeEtcdPki,
  makePki,
  repoRoot,
  startApiserver,
  startComponent,
  startEtcd,
  writeKubeconfig,
} from '@skiff/common/testing/index';
import type { ApiserverHandle, ComponentHandle, EtcdHandle, Pki } from '@skiff/common/testing/index';

export interface ControlPlaneOptions {
  /** the host's address on the lab bridge: in the serving certificate, where DNS listens */
  hostAddress: string;
  /** seconds without a node heartbeat before NotReady (lab: short) */
  nodeMonitorGracePeriod?: number;
  /** the default 300 s not-ready/unreachable tolerations become this many seconds */
  defaultTolerationSeconds?: number;
  /** --load-balancer-ip-pool of the controller-manager (addresses on the lab bridge) */
  loadBalancerIPPool?: string;
}

export interface ControlPlane {
  dir: string;
  pki: Pki;
  apiserver: ApiserverHandle;
  port: number;
  adminKubeconfig: string;
  stop(): Promise<void>;
}

async function healthz(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** What `make up` creates once the apiserver answers (scripts/bootstrap.sh): the default StorageClass. */
async function createBootstrapObjects(apiserver: ApiserverHandle): Promise<void> {
  const folder = join(repoRoot(), 'scripts', 'bootstrap');
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
    const r = await apiserver.kubectl('1.33', ['create', '-f', '-'], { stdin: readFileSync(join(folder, file), 'utf8') });
    if (r.code !== 0 && !/AlreadyExists/.test(r.stderr)) throw new Error(`bootstrap object ${file}: ${r.stderr}`);
  }
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lab-cp-'));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    // made after the lab bridge exists, so the serving certificate names the bridge address
    const pki = await makePki(join(dir, 'pki'));
    const etcd: EtcdHandle = await startEtcd({ tls: await makeEtcdPki(pki.dir) });
    started.push(etcd);
    const encryptionConfig = join(dir, 'encryption-config.json');
    writeFileSync(
      encryptionConfig,
      JSON.stringify({
        apiVersion: 'apiserver.config.k8s.io/v1',
        kind: 'EncryptionConfiguration',
        resources: [
          { resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'key1', secret: randomBytes(32).toString('base64') }] } }, { identity: {} }] },
        ],
      }),
      { mode: 0o600 },
    );
    const apiserver = await startApiserver({
      etcdUrl: etcd.url,
      etcdTls: etcd.tls,
      pki,
      prefix: '/registry',
      extraArgs: [
        '--bind-address=0.0.0.0',
        `--advertise-address=${opts.hostAddress}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        // kubelets' serving certificates come from kubelet-serving CSRs signed by this CA: verify them
        `--kubelet-certificate-authority=${pki.caCert}`,
        `--encryption-provider-config=${encryptionConfig}`,
        // make dist's release, for the one-line install of e2e/test/lab-install.test.ts
        `--dist-dir=${join(repoRoot(), '.skiff', 'dist')}`,
      ],
    });
    started.push(apiserver);
    await createBootstrapObjects(apiserver);
    const kubeconfigFor = (pair: { cert: string; key: string }, user: string) => apiserver.kubeconfigFor(pair, user);

    const cmPort = await freePort();
    const cm: ComponentHandle = await startComponent({
      workspace: 'controller-manager',
      args: [
        `--kubeconfig=${await kubeconfigFor(pki.controllerManager, 'controller-manager')}`,
        `--port=${cmPort}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--root-ca-file=${pki.caCert}`,
        // the workers share this machine's disk: local-path volumes stay inside the lab's directory
        `--local-path-root=${join(dir, 'storage')}`,
        `--node-monitor-grace-period=${opts.nodeMonitorGracePeriod ?? 20}`,
        `--default-toleration-seconds=${opts.defaultTolerationSeconds ?? 10}`,
        ...(opts.loadBalancerIPPool ? [`--load-balancer-ip-pool=${opts.loadBalancerIPPool}`] : []),
      ],
      ready: () => healthz(cmPort),
    });
    started.push(cm);
    const schedPort = await freePort();
    started.push(
      await startComponent({
        workspace: 'scheduler',
        args: [`--kubeconfig=${await kubeconfigFor(pki.scheduler, 'scheduler')}`, `--port=${schedPort}`],
        ready: () => healthz(schedPort),
      }),
    );
    const [dnsPort, dnsMetricsPort] = [await freePort(), await freePort()];
    started.push(
      await startComponent({
        workspace: 'dns',
        args: [
          `--kubeconfig=${await kubeconfigFor(pki.dns, 'dns')}`,
          `--bind-address=${opts.hostAddress}`,
          `--port=${dnsPort}`,
          `--advertise-address=${opts.hostAddress}`,
          `--metrics-port=${dnsMetricsPort}`,
        ],
        ready: () => healthz(dnsMetricsPort),
      }),
    );
    // resource metrics of the workers' kubelets (their serving certificates are of this CA)
    const [metricsPort, metricsHealthPort] = [await freePort(), await freePort()];
    const metricsIdentity = await makeClientCert(pki, 'metrics-server', 'system:skiff-metrics-server');
    started.push(
      await startComponent({
        workspace: 'metrics-server',
        args: [
          `--kubeconfig=${await kubeconfigFor(metricsIdentity, 'metrics-server')}`,
          `--secure-port=${metricsPort}`,
          `--advertise-address=${opts.hostAddress}`,
          `--cert-dir=${join(dir, 'metrics-server')}`,
          `--metrics-port=${metricsHealthPort}`,
        ],
        ready: () => healthz(metricsHealthPort),
      }),
    );
    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(adminKubeconfig, { server: apiserver.url, caFile: pki.caCert, certFile: pki.admin.cert, keyFile: pki.admin.key });
    return {
      dir,
      pki,
      apiserver,
      port: apiserver.port,
      adminKubeconfig,
      async stop() {
        await stopAll();
        if (process.env.SKIFF_KEEP_TEST_DIRS !== '1') rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
