// Placeholder reconciler for a kind whose real reconciler has not landed: it logs the object and states
// on Ready (Unknown, Reconciling) that the generation was observed. It exercises the runtime end to end.
import type { Condition } from '../../src/api/common.js';
import { ConditionTypes, Reasons, findCondition, setCondition } from '../../src/api/conditions.js';
import type { EventRecorder } from '../../src/observability/events.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../src/runtime/reconciler.js';
import type { KubeObject, ResourceType } from '../../src/runtime/resources.js';
import type { StatusWriter } from '../../src/runtime/statusWriter.js';

export interface ObservingReconcilerDeps {
  resource: ResourceType;
  status: StatusWriter;
  events: EventRecorder;
  now?: () => Date;
}

type ObjectStatus = { conditions?: Condition[] } & Record<string, unknown>;

export class ObservingReconciler implements Reconciler<KubeObject> {
  constructor(private readonly deps: ObservingReconcilerDeps) {}

  async reconcile(ctx: ReconcileContext<KubeObject>): Promise<ReconcileResult> {
    const { object, log } = ctx;
    const generation = object.metadata?.generation;
    const current = (object.status ?? {}) as ObjectStatus;
    const firstVisit = findCondition(current.conditions, ConditionTypes.Ready) === undefined;
    const conditions = setCondition(
      current.conditions,
      {
        type: ConditionTypes.Ready,
        status: 'Unknown',
        reason: Reasons.Reconciling,
        message: `Generation ${generation ?? 0} observed; the ${this.deps.resource.kind} reconciler is not implemented yet`,
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      },
      (this.deps.now ?? (() => new Date()))(),
    );
    const { written } = await this.deps.status.update({ resource: this.deps.resource, object, status: { ...current, conditions } });
    if (!written) {
      log.debug('Status already current');
      return {};
    }
    log.info('Recorded observation in status');
    if (firstVisit) {
      await this.deps.events.record(object, {
        type: 'Normal',
        reason: 'Observed',
        action: 'Reconcile',
        note: `${this.deps.resource.kind} ${ctx.name} observed by the operator`,
      });
    }
    return {};
  }
}
