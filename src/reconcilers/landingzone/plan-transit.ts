// Pure plan of the Transit Gateway attachment and its routes: stale routes and attachments removed,
// ours created, tagged, waited for, its subnets and the wanted routes converged.
import { Reasons } from '../../api/index.js';
import { isOwnedBy } from '../../aws/tags.js';
import { GONE_ATTACHMENT_STATES } from '../../aws/transitgateway.js';
import { act, correct, DONE, LzReasons, sameSet, subnetIdsInSpecOrder, wait, waitFor, type PlanInput } from './steps.js';
import type { StepOutcome } from './types.js';

export function transitGatewaySteps(i: PlanInput): StepOutcome[] {
  if (!i.observed.vpc) return [waitFor(i, 'the VPC')];
  const tgw = i.n.transitGateway;
  const steps: StepOutcome[] = [...staleRouteSteps(i), ...staleAttachmentSteps(i, tgw?.id)];
  if (!tgw) {
    const leaving = i.observed.attachments.find((a) => isOwnedBy(a.tags, i.names.identity) && a.state === 'deleting');
    if (leaving) steps.push(wait(i, Reasons.Deleting, `Transit Gateway attachment ${leaving.id} is being deleted`));
    return steps;
  }
  steps.push(attachmentStep(i, tgw.id));
  return steps;
}

/** Routes through a Transit Gateway the spec does not (or no longer) declare (others are replaced by routeStep, once ours is available). */
function staleRouteSteps(i: PlanInput): StepOutcome[] {
  const rt = i.observed.routeTable;
  const wantedRoutes = new Set(i.n.transitGateway?.routes ?? []);
  const steps: StepOutcome[] = [];
  for (const r of rt?.routes ?? []) {
    if (r.target.kind !== 'transit-gateway' || wantedRoutes.has(r.destination)) continue;
    steps.push(
      correct(
        i,
        {
          kind: 'deleteRoute',
          routeTableId: rt?.id ?? '',
          destination: r.destination,
          description: `Delete route ${r.destination} → ${r.target.id}`,
        },
        `route ${r.destination} → ${r.target.id} is not in spec.network.transitGateway.routes`,
      ),
    );
  }
  return steps;
}

/** Our attachments to another gateway, once no route uses them. */
function staleAttachmentSteps(i: PlanInput, tgwId: string | undefined): StepOutcome[] {
  const rt = i.observed.routeTable;
  const live = i.observed.attachments.filter((a) => !GONE_ATTACHMENT_STATES.has(a.state));
  const steps: StepOutcome[] = [];
  for (const a of live) {
    if (a.transitGatewayId === tgwId || !isOwnedBy(a.tags, i.names.identity)) continue;
    const used = (rt?.routes ?? []).some((r) => r.target.kind === 'transit-gateway' && r.target.id === a.transitGatewayId);
    if (!used)
      steps.push(
        act({
          kind: 'deleteAttachment',
          attachmentId: a.id,
          description: `Delete attachment ${a.id} to ${a.transitGatewayId}, no longer in spec`,
        }),
      );
  }
  return steps;
}

type Attachment = PlanInput['observed']['attachments'][number];

function attachmentStep(i: PlanInput, tgwId: string): StepOutcome {
  const current = i.observed.attachments.find((a) => a.transitGatewayId === tgwId && !GONE_ATTACHMENT_STATES.has(a.state));
  const subnets = subnetIdsInSpecOrder(i);
  if (!current) {
    if (!subnets.complete) return waitFor(i, 'the subnets');
    return act(
      {
        kind: 'createAttachment',
        transitGatewayId: tgwId,
        subnetIds: subnets.ids,
        description: `Attach the VPC to Transit Gateway ${tgwId}`,
      },
      Reasons.Creating,
    );
  }
  return attachmentStateStep(i, tgwId, current) ?? attachmentSubnetsStep(i, current, subnets) ?? routeStep(i, tgwId);
}

/** Tagging, acceptance and transitions of our attachment, until it is available. */
function attachmentStateStep(i: PlanInput, tgwId: string, current: Attachment): StepOutcome | undefined {
  if (!isOwnedBy(current.tags, i.names.identity)) {
    return act({
      kind: 'tagResource',
      resourceId: current.id,
      part: 'transit-gateway-attachment',
      description: `Tag attachment ${current.id} as this LandingZone's`,
    });
  }
  if (current.state === 'pendingAcceptance') {
    return wait(
      i,
      LzReasons.PendingAcceptance,
      `Transit Gateway attachment ${current.id} waits for the owner of ${tgwId} to accept it`,
      i.timings.blockedMs,
    );
  }
  if (current.state !== 'available') {
    return wait(
      i,
      current.state === 'modifying' ? Reasons.Modifying : Reasons.Creating,
      `Transit Gateway attachment ${current.id} is ${current.state}`,
    );
  }
  return undefined;
}

function attachmentSubnetsStep(
  i: PlanInput,
  current: Attachment,
  subnets: ReturnType<typeof subnetIdsInSpecOrder>,
): StepOutcome | undefined {
  if (!subnets.complete || sameSet(current.subnetIds, subnets.ids)) return undefined;
  const add = subnets.ids.filter((s) => !current.subnetIds.includes(s));
  const remove = current.subnetIds.filter((s) => !subnets.ids.includes(s));
  return correct(
    i,
    {
      kind: 'modifyAttachmentSubnets',
      attachmentId: current.id,
      add,
      remove,
      description: `Set the subnets of attachment ${current.id}`,
    },
    `attachment ${current.id} used subnets ${current.subnetIds.join(', ')}`,
  );
}

/** The first wanted destination not routed through tgwId, created or replaced. */
function routeStep(i: PlanInput, tgwId: string): StepOutcome {
  const rt = i.observed.routeTable;
  if (!rt) return waitFor(i, 'the route table');
  for (const dest of i.n.transitGateway?.routes ?? []) {
    const route = rt.routes.find((r) => r.destination === dest);
    if (!route) {
      return act(
        {
          kind: 'createRoute',
          routeTableId: rt.id,
          destination: dest,
          transitGatewayId: tgwId,
          description: `Route ${dest} through ${tgwId}`,
        },
        Reasons.Creating,
      );
    }
    if (route.target.kind !== 'transit-gateway' || route.target.id !== tgwId || route.state === 'blackhole') {
      const target = route.target.kind === 'local' ? 'local' : route.target.id;
      return correct(
        i,
        {
          kind: 'replaceRoute',
          routeTableId: rt.id,
          destination: dest,
          transitGatewayId: tgwId,
          description: `Route ${dest} through ${tgwId}`,
        },
        `route ${dest} went to ${target} (${route.state}), not Transit Gateway ${tgwId}`,
      );
    }
  }
  return DONE;
}
