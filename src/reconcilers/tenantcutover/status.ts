// The TenantCutover's status during one reconcile: conditions stamped with the generation, progress
// persisted on the API before the step it guards, and the outcome the reconcile returns.
import type { OperatorError } from '../../errors.js';
import {
  ConditionTypes,
  knownReason,
  setCondition,
  type ConditionType,
  type Reason,
  type Side,
  type TenantCutover,
  type TenantCutoverStatus,
} from '../../api/index.js';
import type { CutoverContext, CutoverOutcome } from './context.js';

export type Phase = NonNullable<TenantCutoverStatus['phase']>;

export class CutoverStatus {
  private current: TenantCutoverStatus;

  constructor(
    private readonly obj: TenantCutover,
    private readonly ctx: Pick<CutoverContext, 'persist' | 'now'>,
  ) {
    this.current = { ...(obj.status ?? {}) };
  }

  get status(): TenantCutoverStatus {
    return this.current;
  }

  get generation(): number {
    return this.obj.metadata.generation ?? 0;
  }

  /** The side the route points at now (source until the first switch). */
  get activeSide(): Side {
    return this.current.activeSide ?? 'source';
  }

  condition(type: ConditionType, ok: boolean | 'Unknown', reason: Reason, message: string): void {
    const status = ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False';
    const input = { type, status, reason, message, observedGeneration: this.generation } as const;
    this.current.conditions = setCondition(this.current.conditions, input, new Date(this.ctx.now()));
  }

  /** Written on the API before the reconcile goes on: a restarted operator reads it. */
  async persist(patch: Partial<TenantCutoverStatus>): Promise<void> {
    this.current = { ...this.current, ...patch };
    await this.ctx.persist(patch);
  }

  /** A condition of the world (a Secret, a login, a server) blocks this reconcile: Ready=False with its reason. */
  blocked(err: OperatorError & { retryAfterMs: number }, phase?: Phase): CutoverOutcome {
    return this.outcome(false, knownReason(err.reason, 'ConnectionFailed'), err.message, err.retryAfterMs, phase);
  }

  outcome(ready: boolean, reason: Reason, message: string, requeueAfterMs: number, phase?: Phase): CutoverOutcome {
    this.condition(ConditionTypes.Ready, ready, reason, message);
    return { status: { ...this.current, observedGeneration: this.generation, ...(phase ? { phase } : {}) }, requeueAfterMs };
  }
}
