// Finalizers for objects that own things outside the cluster: add before creating them, remove once
// they are gone. Merge patches on metadata.finalizers, guarded by resourceVersion, with a conflict budget.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { fromUnknown } from '../errors.js';
import type { KubeObject, ResourceType } from './resources.js';
import { FIELD_MANAGER } from './statusWriter.js';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata?.finalizers ?? []).includes(finalizer);
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return Boolean(obj.metadata?.deletionTimestamp);
}

export class Finalizers {
  private readonly api: CustomObjectsApi;
  private readonly conflictRetries: number;

  constructor(kc: KubeConfig, opts: { conflictRetries?: number } = {}) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.conflictRetries = opts.conflictRetries ?? 3;
  }

  /** Ensures `finalizer` is on the object; returns the object as it now is. */
  add<T extends KubeObject>(resource: ResourceType, obj: T, finalizer: string): Promise<T> {
    return this.edit(resource, obj, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
  }

  /**
   * Removes `finalizer`. The patch carries the resourceVersion it was computed from, so a list changed
   * meanwhile is re-read rather than overwritten.
   */
  remove<T extends KubeObject>(resource: ResourceType, obj: T, finalizer: string): Promise<T> {
    return this.edit(resource, obj, (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined));
  }

  private async edit<T extends KubeObject>(resource: ResourceType, obj: T, change: (list: string[]) => string[] | undefined): Promise<T> {
    const { group, version, plural } = resource;
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let current = obj;
    for (let attempt = 0; ; attempt++) {
      const next = change(current.metadata?.finalizers ?? []);
      if (next === undefined) return current;
      try {
        return (await this.api.patchNamespacedCustomObject(
          {
            group,
            version,
            namespace,
            plural,
            name,
            fieldManager: FIELD_MANAGER,
            // A merge patch replaces the whole array: the resourceVersion guard keeps others' finalizers safe.
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion, finalizers: next } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )) as T;
      } catch (err) {
        const e = fromUnknown(err);
        if (e.code !== 'conflict' || attempt >= this.conflictRetries) throw e;
        current = (await this.api.getNamespacedCustomObject({ group, version, namespace, plural, name })) as T;
      }
    }
  }
}
