// The shared local stack of a test run (started by test/run.ts): a kubeconfig for its real
// kube-apiserver, its environment, and fresh namespaces so that tests do not collide.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { devEnv } from '../../src/devstack/stack.js';

export interface TestCluster {
  kc: KubeConfig;
  env: Record<string, string>;
  stateDir: string;
  newNamespace(prefix: string): Promise<string>;
}

export function testStateDir(): string {
  const dir = process.env.TENANTSHIFT_TEST_STATE_DIR;
  if (!dir) throw new Error('TENANTSHIFT_TEST_STATE_DIR is not set: run the suite with `npm test`');
  return dir;
}

/** The shared stack's CA file (sslrootcert of every URL a test builds itself). */
export function testCaFile(): string {
  return devEnv(testStateDir()).TLS_CA_FILE as string;
}

export async function testCluster(): Promise<TestCluster> {
  const stateDir = testStateDir();
  const env = devEnv(stateDir);
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG as string);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    kc,
    env,
    stateDir,
    async newNamespace(prefix: string): Promise<string> {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase();
      await core.createNamespace({ body: { metadata: { name, labels: { 'tenantshift.io/test': 'true' } } } });
      return name;
    },
  };
}
