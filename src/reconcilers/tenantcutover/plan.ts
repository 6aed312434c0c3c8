// Pure decisions of the TenantCutover reconciler: where the tenant should be, whether a move may
// start now (retries, backoff), and how an interrupted move is finished or undone.
import type { Side, TenantCutover, TenantCutoverStatus } from '../../api/index.js';
import { parseDurationMs } from '../../api/index.js';

/** Only `rollback: true` moves a switched tenant back; withdrawing `approved` moves nothing. */
export function desiredSide(spec: TenantCutover['spec'], active: Side): Side {
  if (active === 'source') return spec.approved && !spec.rollback ? 'target' : 'source';
  return spec.rollback ? 'source' : 'target';
}

export type Recovery = { kind: 'none' } | { kind: 'abortInterrupted' } | { kind: 'finishMove'; to: Side };

/**
 * An operator that died mid-move left `step` in status. Before the route was written for the new
 * side the move is undone (the fence session died with the process, the agents resume by deadline);
 * after it, the switch is finished.
 */
export function recoveryFor(status: TenantCutoverStatus | undefined): Recovery {
  if (!status?.step || !status.movingTo) return { kind: 'none' };
  if (status.route?.side === status.movingTo && status.activeSide !== status.movingTo) return { kind: 'finishMove', to: status.movingTo };
  if (status.activeSide === status.movingTo) return { kind: 'none' };
  return { kind: 'abortInterrupted' };
}

export type Gate = { kind: 'go' } | { kind: 'wait'; untilMs: number } | { kind: 'exhausted'; attempts: number };

/**
 * Retries after an abort follow spec.retry (backoff doubling); attempts count per generation, so a
 * spec change starts afresh.
 */
export function retryGate(obj: TenantCutover, now: number): Gate {
  const st = obj.status;
  const attempts = st?.attemptsGeneration === obj.metadata.generation ? (st?.attempts ?? 0) : 0;
  if (attempts === 0) return { kind: 'go' };
  const maxRetries = obj.spec.retry?.attempts ?? 3;
  if (attempts > maxRetries) return { kind: 'exhausted', attempts };
  const next = st?.nextAttemptAt ? Date.parse(st.nextAttemptAt) : 0;
  return next > now ? { kind: 'wait', untilMs: next } : { kind: 'go' };
}

export function backoffAfter(obj: TenantCutover, attempts: number): number {
  const base = parseDurationMs(obj.spec.retry?.backoff ?? '30s');
  return base * 2 ** Math.max(0, attempts - 1);
}

/** A rehearsal is due once per generation that asks for one, and only while no real move is due. */
export function rehearsalDue(obj: TenantCutover, active: Side): boolean {
  return (
    Boolean(obj.spec.rehearse) &&
    obj.status?.rehearsedGeneration !== obj.metadata.generation &&
    desiredSide(obj.spec, active) === active &&
    !obj.status?.completed
  );
}

export function otherSide(side: Side): Side {
  return side === 'source' ? 'target' : 'source';
}

export function budgetMs(obj: TenantCutover): number {
  return parseDurationMs(obj.spec.maxWritePause ?? '2s');
}

/** spec.complete retires the way back once the target serves and nothing asks to move; a completed cutover stays so. */
export function completionDue(obj: TenantCutover, active: Side): boolean {
  return (
    Boolean(obj.status?.completed) || (Boolean(obj.spec.complete) && active === 'target' && desiredSide(obj.spec, active) === 'target')
  );
}

export type Intent = { kind: 'stay' } | { kind: 'move'; to: Side; rehearse: boolean };

/** Where the tenant should go now: the side the spec asks for, or the other side for a due rehearsal. */
export function intentFor(obj: TenantCutover, active: Side): Intent {
  const rehearse = rehearsalDue(obj, active);
  const to = rehearse ? otherSide(active) : desiredSide(obj.spec, active);
  return to === active ? { kind: 'stay' } : { kind: 'move', to, rehearse };
}
