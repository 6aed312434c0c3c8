// Pure plan of deletion under deletionPolicy Delete, in dependency order: the instance (deletion
// protection off, final snapshot), the Transit Gateway routes and attachment, the DB groups, route table,
// security group, subnets, the VPC, and last the Secrets. Only resources carrying our tag are touched.
import { Reasons } from '../../api/index.js';
import { isOwnedBy } from '../../aws/tags.js';
import { GONE_ATTACHMENT_STATES, type AttachmentInfo } from '../../aws/transitgateway.js';
import { act, wait, type PlanInput } from './steps.js';
import type { StepOutcome } from './types.js';

export interface DeletionPlan {
  /** The first thing to do or wait for; undefined once everything is gone. */
  next?: StepOutcome;
}

const DELETABLE = new Set([
  'available',
  'storage-optimization',
  'storage-full',
  'stopped',
  'failed',
  'incompatible-parameters',
  'incompatible-network',
]);

export function planDeletion(i: PlanInput): DeletionPlan {
  const steps = [...instanceSteps(i), ...transitGatewaySteps(i), ...databaseGroupSteps(i), ...networkSteps(i)];
  const next = steps.find((s) => s.state === 'act') ?? steps.find((s) => s.state !== 'done');
  return next ? { next } : {};
}

function instanceSteps(i: PlanInput): StepOutcome[] {
  const inst = i.observed.instance;
  if (!inst || !isOwnedBy(inst.tags, i.names.identity)) return [];
  const id = i.n.identifier;
  if (inst.status === 'deleting')
    return [wait(i, Reasons.Deleting, `DB instance ${id} is being deleted (final snapshot ${i.names.finalSnapshot})`)];
  if (!DELETABLE.has(inst.status))
    return [wait(i, Reasons.Deleting, `Deleting DB instance ${id} once it is available (now ${inst.status})`)];
  if (inst.deletionProtection) {
    // deletionPolicy: Delete is the owner's reviewed consent; the final snapshot below keeps the data.
    return [
      act(
        {
          kind: 'modifyInstance',
          changes: { deletionProtection: false },
          touchesStorage: false,
          description: `Turn off deletion protection of ${id} (deletionPolicy: Delete)`,
        },
        Reasons.Deleting,
      ),
    ];
  }
  return [
    act(
      {
        kind: 'deleteInstance',
        finalSnapshotId: i.names.finalSnapshot,
        description: `Delete DB instance ${id} with final snapshot ${i.names.finalSnapshot}`,
      },
      Reasons.Deleting,
    ),
  ];
}

function transitGatewaySteps(i: PlanInput): StepOutcome[] {
  const ours = i.observed.attachments.filter((a) => attachmentIsOurs(i, a));
  const rt = i.observed.routeTable;
  const steps: StepOutcome[] = [];
  for (const a of ours) {
    if (a.state === 'deleting') {
      steps.push(wait(i, Reasons.Deleting, `Transit Gateway attachment ${a.id} is being deleted`));
      continue;
    }
    if (GONE_ATTACHMENT_STATES.has(a.state)) continue;
    const route = rt?.routes.find((r) => r.target.kind === 'transit-gateway' && r.target.id === a.transitGatewayId);
    if (rt && route) {
      steps.push(
        act(
          {
            kind: 'deleteRoute',
            routeTableId: rt.id,
            destination: route.destination,
            description: `Delete route ${route.destination} → ${a.transitGatewayId}`,
          },
          Reasons.Deleting,
        ),
      );
    } else {
      steps.push(
        act({ kind: 'deleteAttachment', attachmentId: a.id, description: `Delete Transit Gateway attachment ${a.id}` }, Reasons.Deleting),
      );
    }
  }
  return steps;
}

/** Tagged as ours, or (in our VPC) to the gateway the spec names: a crash before tagging leaves nothing behind. */
function attachmentIsOurs(i: PlanInput, a: AttachmentInfo): boolean {
  return isOwnedBy(a.tags, i.names.identity) || a.transitGatewayId === i.n.transitGateway?.id;
}

function instanceGone(i: PlanInput): boolean {
  const inst = i.observed.instance;
  return !inst || !isOwnedBy(inst.tags, i.names.identity);
}

function databaseGroupSteps(i: PlanInput): StepOutcome[] {
  if (!instanceGone(i)) return [];
  const steps: StepOutcome[] = [];
  if (i.observed.subnetGroup)
    steps.push(act({ kind: 'deleteSubnetGroup', description: `Delete DB subnet group ${i.names.subnetGroup}` }, Reasons.Deleting));
  if (i.observed.parameterGroup)
    steps.push(act({ kind: 'deleteParameterGroup', description: `Delete parameter group ${i.names.parameterGroup}` }, Reasons.Deleting));
  return steps;
}

function networkSteps(i: PlanInput): StepOutcome[] {
  const o = i.observed;
  const attachmentsLeft = o.attachments.some((a) => attachmentIsOurs(i, a) && !GONE_ATTACHMENT_STATES.has(a.state));
  if (!instanceGone(i) || attachmentsLeft || o.subnetGroup) return [];
  const steps: StepOutcome[] = [];
  const rt = o.routeTable;
  if (rt) {
    const association = rt.associations[0];
    steps.push(
      association
        ? act(
            {
              kind: 'disassociateRouteTable',
              associationId: association.id,
              description: `Detach subnet ${association.subnetId} from ${rt.id}`,
            },
            Reasons.Deleting,
          )
        : act({ kind: 'deleteRouteTable', routeTableId: rt.id, description: `Delete route table ${rt.id}` }, Reasons.Deleting),
    );
  }
  if (o.securityGroup)
    steps.push(
      act(
        { kind: 'deleteSecurityGroup', groupId: o.securityGroup.id, description: `Delete security group ${o.securityGroup.id}` },
        Reasons.Deleting,
      ),
    );
  const specCidrs = new Set(i.n.subnets.map((s) => s.cidr));
  for (const s of o.subnets) {
    if (isOwnedBy(s.tags, i.names.identity) || specCidrs.has(s.cidr)) {
      steps.push(act({ kind: 'deleteSubnet', subnetId: s.id, description: `Delete subnet ${s.id} (${s.cidr})` }, Reasons.Deleting));
    }
  }
  if (o.vpc && steps.length === 0)
    steps.push(act({ kind: 'deleteVpc', vpcId: o.vpc.id, description: `Delete VPC ${o.vpc.id}` }, Reasons.Deleting));
  return steps;
}
