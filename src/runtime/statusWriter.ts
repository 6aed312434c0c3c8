// Writes an object's status: a JSON merge patch on /status, only when the desired status differs from
// the object's current one, guarded by resourceVersion and retried on conflict within a budget. The
// patch is this writer's own change against the status it read; on a conflict only that change is
// sent again, onto what was re-read: a field another writer set meanwhile (a newer leader) stays.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { fromUnknown, OperatorError } from '../errors.js';
import type { KubeObject, ResourceType } from './resources.js';
import { mergePatch } from './status.js';
import { redactDeep } from '../redact.js';

export const FIELD_MANAGER = 'tenantshift-operator';

export interface StatusUpdate<T extends KubeObject> {
  resource: ResourceType;
  /** The object as the reconcile saw it (normally the informer's cached copy). */
  object: T;
  /** The whole desired status; observedGeneration is set from the object unless given. */
  status: Record<string, unknown>;
  /**
   * On a conflict the change is re-applied only if this holds for the re-read object: a move's own
   * fields as this writer last wrote them. Otherwise another writer (a newer leader) took over and
   * the write fails with code `conflict`, reason `Superseded`.
   */
  stillOurs?: (reread: T) => boolean;
}

export interface StatusResult<T extends KubeObject> {
  /** False when the status was already as desired: nothing was sent. */
  written: boolean;
  /** The object after the write (or as last read). */
  object: T;
}

export class StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly conflictRetries: number;

  constructor(kc: KubeConfig, opts: { conflictRetries?: number } = {}) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.conflictRetries = opts.conflictRetries ?? 3;
  }

  async update<T extends KubeObject>(req: StatusUpdate<T>): Promise<StatusResult<T>> {
    const { group, version, plural } = req.resource;
    const namespace = req.object.metadata?.namespace ?? '';
    const name = req.object.metadata?.name ?? '';
    // Nothing that reaches the API carries a secret: condition messages and the rest pass the one redaction.
    const desired: Record<string, unknown> = redactDeep({ ...req.status });
    if (desired.observedGeneration === undefined && req.object.metadata?.generation !== undefined) {
      desired.observedGeneration = req.object.metadata.generation;
    }
    let current: T = req.object;
    const patch = mergePatch(current.status ?? {}, desired);
    if (patch === undefined) return { written: false, object: current };
    for (let attempt = 0; ; attempt++) {
      try {
        const updated = (await this.api.patchNamespacedCustomObjectStatus(
          {
            group,
            version,
            namespace,
            plural,
            name,
            fieldManager: FIELD_MANAGER,
            // The resourceVersion makes the patch conditional: a status computed from an old read never lands.
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: patch },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )) as T;
        return { written: true, object: updated };
      } catch (err) {
        const e = fromUnknown(err);
        if (e.code !== 'conflict' || attempt >= this.conflictRetries) throw e;
        current = await this.reread(req, err);
      }
    }
  }

  /** The object's status as the API holds it now (not a cache). */
  async get<T extends KubeObject>(resource: ResourceType, object: KubeObject): Promise<T> {
    const { group, version, plural } = resource;
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    return (await this.api.getNamespacedCustomObjectStatus({ group, version, namespace, plural, name })) as T;
  }

  /** The object again after a conflict; fails (Superseded) when another writer changed what this one owns. */
  private async reread<T extends KubeObject>(req: StatusUpdate<T>, conflict: unknown): Promise<T> {
    const current = await this.get<T>(req.resource, req.object);
    const namespace = req.object.metadata?.namespace ?? '';
    const name = req.object.metadata?.name ?? '';
    if (req.stillOurs && !req.stillOurs(current)) {
      const message = `the status of ${namespace}/${name} was changed by another writer; this change is not applied`;
      throw new OperatorError('conflict', message, { reason: 'Superseded', cause: conflict });
    }
    return current;
  }
}
