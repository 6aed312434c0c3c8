// approve and rollback: the decision (pure: refuse, nothing to do, or the spec change) and its
// application, which on an Argo CD managed object prints the change to commit instead of patching.
import { API_VERSION } from '../../api/common.js';
import type { TenantCutover } from '../../api/index.js';
import { fromUnknown } from '../../errors.js';
import { argoManagement, changeToCommit } from './argocd.js';
import type { PluginObjects } from './objects.js';

export type Edit = 'approve' | 'withdraw' | 'rollback' | 'cancel-rollback';

export type EditDecision =
  | { kind: 'refuse'; message: string }
  | { kind: 'unchanged'; message: string }
  | { kind: 'change'; spec: Record<string, boolean>; note: string };

/** Exit codes of approve and rollback, beyond 0 (done or nothing to do) and 1 (refused or failed). */
export const EXIT_COMMIT_INSTEAD = 3;

export function decideEdit(c: TenantCutover, edit: Edit): EditDecision {
  const who = `TenantCutover ${c.metadata.namespace}/${c.metadata.name}`;
  return DECIDERS[edit](c, who);
}

type Decider = (c: TenantCutover, who: string) => EditDecision;

const DECIDERS: Record<Edit, Decider> = {
  approve: decideApprove,
  withdraw: decideWithdraw,
  rollback: decideRollback,
  'cancel-rollback': decideCancelRollback,
};

function activeSide(c: TenantCutover): string {
  return c.status?.activeSide ?? 'source';
}

function decideApprove(c: TenantCutover, who: string): EditDecision {
  if (c.spec.approved) return { kind: 'unchanged', message: `${who} is already approved (spec.approved: true)` };
  return { kind: 'change', spec: { approved: true }, note: 'the operator switches to the target once every precondition holds' };
}

function decideWithdraw(c: TenantCutover, who: string): EditDecision {
  if (!c.spec.approved) return { kind: 'unchanged', message: `${who} is not approved (spec.approved: false)` };
  return {
    kind: 'change',
    spec: { approved: false },
    note:
      activeSide(c) === 'target'
        ? 'the target already serves: withdrawing moves nothing (use rollback to move back)'
        : 'no switch will start',
  };
}

function decideRollback(c: TenantCutover, who: string): EditDecision {
  if (c.spec.complete)
    return { kind: 'refuse', message: `${who} is complete (spec.complete: true): the source was released and there is no way back` };
  if (c.spec.rollback) return { kind: 'unchanged', message: `${who} already asks for a rollback (spec.rollback: true)` };
  if (activeSide(c) !== 'target' && c.status?.movingTo !== 'target')
    return { kind: 'refuse', message: `${who}: the source serves the tenant; there is nothing to roll back` };
  return {
    kind: 'change',
    spec: { rollback: true },
    note: 'the operator moves the tenant back to the source through reverse replication, fenced like the switch',
  };
}

function decideCancelRollback(c: TenantCutover, who: string): EditDecision {
  if (!c.spec.rollback) return { kind: 'unchanged', message: `${who} does not ask for a rollback (spec.rollback: false)` };
  return { kind: 'change', spec: { rollback: false }, note: 'once switched back, the tenant moves forward to the target again' };
}

export interface EditOutput {
  out(text: string): void;
  err(text: string): void;
}

export async function runEdit(objects: PluginObjects, io: EditOutput, namespace: string, name: string, edit: Edit): Promise<number> {
  const cutover = await objects.cutover(namespace, name);
  if (!cutover) {
    io.err(`TenantCutover ${namespace}/${name} not found\n`);
    return 1;
  }
  const decision = decideEdit(cutover, edit);
  if (decision.kind === 'refuse') {
    io.err(`${decision.message}\n`);
    return 1;
  }
  if (decision.kind === 'unchanged') {
    io.out(`${decision.message}; nothing to change\n`);
    return 0;
  }
  const argo = argoManagement(cutover.metadata);
  if (argo) {
    const change = changeToCommit({
      apiVersion: API_VERSION,
      kind: 'TenantCutover',
      namespace,
      name,
      current: pick(cutover.spec, decision.spec),
      desired: decision.spec,
    });
    io.out(
      `TenantCutover ${namespace}/${name} is managed by Argo CD${argo.application ? ` (application ${argo.application})` : ''}, ` +
        `by its ${argo.evidence}: ` +
        'an edit in the cluster would be reverted by self-heal. Commit this change to its manifest in Git instead:\n\n' +
        `${change}\nNothing was changed in the cluster. Once the commit syncs, ${decision.note}.\n`,
    );
    return EXIT_COMMIT_INSTEAD;
  }
  try {
    await objects.patchSpec(cutover, decision.spec);
  } catch (err) {
    const e = fromUnknown(err);
    if (e.code === 'conflict') {
      io.err(`TenantCutover ${namespace}/${name} changed while this command ran; run it again\n`);
      return 1;
    }
    throw e;
  }
  const fields = Object.entries(decision.spec)
    .map(([k, v]) => `spec.${k}: ${v}`)
    .join(', ');
  io.out(
    `TenantCutover ${namespace}/${name}: set ${fields}; ${decision.note}. ` +
      `Follow it with: kubectl tenantshift watch ${name} -n ${namespace}\n`,
  );
  return 0;
}

function pick(spec: TenantCutover['spec'], fields: Record<string, unknown>): Record<string, unknown> {
  const current = spec as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(fields).map((k) => [k, current[k]]));
}
