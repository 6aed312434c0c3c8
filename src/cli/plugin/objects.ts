// The plugin's access to the API: reads TenantCutovers with their SchemaReplications, and edits a
// cutover's spec with a JSON merge patch guarded by the resourceVersion it was decided on.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../api/common.js';
import type { SchemaReplication, TenantCutover } from '../../api/index.js';
import { SchemaReplicationNames } from '../../api/schemareplication.js';
import { TenantCutoverNames } from '../../api/tenantcutover.js';
import { fromUnknown } from '../../errors.js';

/** A cutover and the SchemaReplication it moves (absent when that does not exist). */
export interface TenantView {
  cutover: TenantCutover;
  replication?: SchemaReplication;
}

export class PluginObjects {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async cutover(namespace: string, name: string): Promise<TenantCutover | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: TenantCutoverNames.plural,
        namespace,
        name,
      })) as TenantCutover;
    } catch (err) {
      if (fromUnknown(err).code === 'not-found') return undefined;
      throw fromUnknown(err);
    }
  }

  async view(namespace: string, name: string): Promise<TenantView | undefined> {
    const cutover = await this.cutover(namespace, name);
    if (!cutover) return undefined;
    const replication = await this.replication(namespace, cutover.spec.replicationRef.name);
    return replication ? { cutover, replication } : { cutover };
  }

  /** Every cutover of a namespace (or all of them), each with its SchemaReplication, sorted by namespace and name. */
  async views(namespace: string | undefined): Promise<TenantView[]> {
    const [cutovers, replications] = await Promise.all([
      this.list<TenantCutover>(TenantCutoverNames.plural, namespace),
      this.list<SchemaReplication>(SchemaReplicationNames.plural, namespace),
    ]);
    const byKey = new Map(replications.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
    return cutovers
      .map((cutover) => {
        const replication = byKey.get(`${cutover.metadata.namespace}/${cutover.spec.replicationRef.name}`);
        return replication ? { cutover, replication } : { cutover };
      })
      .sort((a, b) => keyOf(a.cutover).localeCompare(keyOf(b.cutover)));
  }

  /** Merges `spec` into the cutover's spec; fails with a conflict when the object changed since it was read. */
  async patchSpec(cutover: TenantCutover, spec: Record<string, unknown>): Promise<TenantCutover> {
    const { namespace, name, resourceVersion } = cutover.metadata;
    try {
      return (await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: TenantCutoverNames.plural,
          namespace: namespace as string,
          name: name as string,
          body: { metadata: { resourceVersion }, spec },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as TenantCutover;
    } catch (err) {
      throw fromUnknown(err);
    }
  }

  private async replication(namespace: string, name: string): Promise<SchemaReplication | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: SchemaReplicationNames.plural,
        namespace,
        name,
      })) as SchemaReplication;
    } catch (err) {
      if (fromUnknown(err).code === 'not-found') return undefined;
      throw fromUnknown(err);
    }
  }

  private async list<T>(plural: string, namespace: string | undefined): Promise<T[]> {
    try {
      const list = (
        namespace
          ? await this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace })
          : await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })
      ) as { items: T[] };
      return list.items;
    } catch (err) {
      throw fromUnknown(err);
    }
  }
}

function keyOf(c: TenantCutover): string {
  return `${c.metadata.namespace}/${c.metadata.name}`;
}
