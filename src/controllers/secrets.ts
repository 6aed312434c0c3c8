// The one way the controllers read a Kubernetes Secret: by name through CoreV1Api (the operator can
// never list or watch Secrets), a missing Secret is undefined, any other failure an OperatorError.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { fromUnknown } from '../errors.js';

/** The Secret `namespace/name`, or undefined when it does not exist. */
export async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (err) {
    const e = fromUnknown(err);
    if (e.code === 'not-found') return undefined;
    throw e;
  }
}

/** A Secret's data (base64 values, as the API returns them), or undefined when it does not exist. */
export async function readSecretData(core: CoreV1Api, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const s = await readSecret(core, namespace, name);
  return s ? (s.data ?? {}) : undefined;
}
