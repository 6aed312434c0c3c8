// The subscription on the target: created (when a copy slot is free), enabled, disabled or refreshed.
import { readSubscription } from '../../postgres/replication.js';
import { SENTINEL_SCHEMA } from '../../postgres/sentinel.js';
import { handOffToCutover } from './handoff.js';
import { finish } from './outcome.js';
import { proceed, stop, type Pass, type StepResult } from './pass.js';
import { copySlotWait, subscriptionAction, WHILE_SYNCING_MS, withoutSchema } from './plan.js';
import { SENTINEL } from './publication.js';
import { applySubscriptionAction } from './steps.js';

const SUBSCRIPTION_EVENTS = {
  create: { reason: 'SubscriptionCreated', message: 'Created the subscription on the target; the initial copy starts' },
  enable: { reason: 'Resumed', message: 'Enabled the subscription: replication resumes' },
  disable: { reason: 'Suspended', message: 'Disabled the subscription: spec.suspend is true' },
  refresh: { reason: 'SubscriptionRefreshed', message: 'Refreshed the subscription: added or removed tables' },
} as const;

export async function subscriptionStep(pass: Pass): Promise<StepResult> {
  const { obj, ctx, names, published } = pass;
  const action = subscriptionAction(pass.obs.subscription, published.length > 0 ? [...published, SENTINEL] : [], obj.spec.suspend ?? false);
  pass.action = action;
  // A hundred objects applied at once copy in waves: each initial copy is table-sync workers and slots on the source.
  const sourceServer = `${pass.sourceInfo.host}:${pass.sourceInfo.port}`;
  pass.status.sourceServer = sourceServer;
  const wait = copySlotWait(action, sourceServer, ctx.initialCopies);
  if (wait) return stop(finish(obj, pass.status, ctx, wait, WHILE_SYNCING_MS * 3));
  if (action.kind === 'create' || action.kind === 'enable') {
    // Forward replication is about to (re)start: a move that began during this pass owns it now.
    const moved = await handOffToCutover(obj, ctx, pass.base);
    if (moved) return stop(moved);
  }
  if (action.kind !== 'none') {
    await applySubscriptionAction({
      source: pass.source,
      target: pass.target,
      action,
      names,
      sourceInfo: pass.sourceInfo,
      targetInfo: pass.targetInfo,
      sslFallback: obj.spec.subscriptionSslFallback,
    });
    ctx.events.normal(SUBSCRIPTION_EVENTS[action.kind].reason, `${SUBSCRIPTION_EVENTS[action.kind].message} (${names.subscription})`);
  }
  const fullSub = action.kind === 'none' ? pass.obs.subscription : await readSubscription(pass.target, names.subscription);
  // Progress speaks of the tenant's tables; the sentinel row is ours.
  const sub = withoutSchema(fullSub, SENTINEL_SCHEMA);
  if (sub) pass.sub = sub;
  else delete pass.sub;
  return proceed;
}
