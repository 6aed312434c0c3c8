// A SchemaReplication made only to be refused (a hostile or broken Secret), and the refusal it gets:
// the hostile-input suite and the redaction canary both make them.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/api/common.js';
import { until } from './operator.js';

export interface ReadyCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** Creates SchemaReplication `name` in `namespace` of one schema that does not exist, from the Secrets named. */
export async function createRefusedReplication(
  api: CustomObjectsApi,
  namespace: string,
  name: string,
  secrets: { source: string; target: string },
): Promise<void> {
  await api.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'schemareplications',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SchemaReplication',
      metadata: { name },
      spec: {
        tenant: name,
        source: { secretRef: { name: secrets.source } },
        target: { secretRef: { name: secrets.target } },
        schemas: [`${name.replace(/-/g, '_')}_s`],
      },
    },
  });
}

/** The Ready condition of SchemaReplication `name` once it is False. */
export async function refusalOf(api: CustomObjectsApi, namespace: string, name: string): Promise<ReadyCondition> {
  return until(`SchemaReplication ${name} to be refused`, async () => {
    const o = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'schemareplications', name })) as {
      status?: { conditions?: ReadyCondition[] };
    };
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'False' && ready.message ? ready : undefined;
  });
}
