// Pure plan of the network (VPC, private subnets, security group, route table); the Transit Gateway
// attachment and its routes are planned in plan-transit.ts.
import { Reasons } from '../../api/index.js';
import { describeRule, sameRule, type IngressRule } from '../../aws/securitygroup.js';
import { isOwnedBy } from '../../aws/tags.js';
import { GONE_ATTACHMENT_STATES } from '../../aws/transitgateway.js';
import { act, blocked, correct, DONE, subnetIdsInSpecOrder, wait, waitFor, type PlanInput } from './steps.js';
import type { StepOutcome } from './types.js';

export const POSTGRES_PORT = 5432;

export function desiredIngress(allowedCidrs: readonly string[]): IngressRule[] {
  return allowedCidrs.map((cidr) => ({
    protocol: 'tcp',
    fromPort: POSTGRES_PORT,
    toPort: POSTGRES_PORT,
    source: { kind: 'cidr', value: cidr },
  }));
}

export function networkSteps(i: PlanInput): StepOutcome[] {
  // The security group right after the VPC: an opening nobody declared is the first thing fixed.
  return [vpcStep(i), securityGroupStep(i), ...i.n.subnets.map((_, idx) => subnetStep(i, idx)), routeTableStep(i), strayResourcesStep(i)];
}

function vpcStep(i: PlanInput): StepOutcome {
  const { vpc } = i.observed;
  if (!vpc) return act({ kind: 'createVpc', description: `Create VPC ${i.n.vpcCidr}` }, Reasons.Creating);
  if (vpc.cidr !== i.n.vpcCidr) {
    return blocked(
      Reasons.InvalidSpec,
      `VPC ${vpc.id} of this LandingZone has CIDR ${vpc.cidr}, not spec.network.vpcCidr "${i.n.vpcCidr}"`,
    );
  }
  if (vpc.state === 'pending') return wait(i, Reasons.Creating, `VPC ${vpc.id} is pending`);
  return DONE;
}

function subnetStep(i: PlanInput, idx: number): StepOutcome {
  const want = i.n.subnets[idx] as { availabilityZone: string; cidr: string };
  const { vpc, subnets } = i.observed;
  if (!vpc) return waitFor(i, 'the VPC');
  const found = subnets.find((s) => s.cidr === want.cidr);
  if (!found) {
    return act(
      {
        kind: 'createSubnet',
        cidr: want.cidr,
        availabilityZone: want.availabilityZone,
        description: `Create subnet ${want.cidr} in ${want.availabilityZone}`,
      },
      Reasons.Creating,
    );
  }
  if (found.availabilityZone !== want.availabilityZone) {
    return blocked(
      Reasons.InvalidSpec,
      `subnet ${found.id} (${found.cidr}) is in ${found.availabilityZone}, ` +
        `not spec.network.subnets[${idx}].availabilityZone "${want.availabilityZone}": a subnet cannot move zones`,
    );
  }
  if (found.mapPublicIpOnLaunch) {
    return correct(
      i,
      { kind: 'disablePublicIp', subnetId: found.id, description: `Stop assigning public IPs in subnet ${found.id}` },
      `subnet ${found.id} assigned public IPs on launch`,
    );
  }
  return DONE;
}

function securityGroupStep(i: PlanInput): StepOutcome {
  const { vpc, securityGroup: sg } = i.observed;
  if (!vpc) return waitFor(i, 'the VPC');
  if (!sg) return act({ kind: 'createSecurityGroup', description: `Create security group ${i.names.securityGroup}` }, Reasons.Creating);
  if (!isOwnedBy(sg.tags, i.names.identity)) {
    return act({
      kind: 'tagResource',
      resourceId: sg.id,
      part: 'security-group',
      description: `Tag security group ${sg.id} (adopted by name) as this LandingZone's`,
    });
  }
  const desired = desiredIngress(i.n.allowedCidrs);
  const extra = sg.ingress.filter((r) => !desired.some((d) => sameRule(d, r)));
  if (extra.length > 0) {
    const what = extra.map(describeRule).join(', ');
    // Always a Warning: an opening nobody declared is a security finding, whether or not the spec just changed.
    return act(
      {
        kind: 'revokeIngress',
        groupId: sg.id,
        rules: extra,
        description: `Revoke ${what} on security group ${sg.id}`,
        drift: `security group ${sg.id} admitted ${what}, which spec.network.allowedCidrs does not list`,
      },
      Reasons.DriftDetected,
    );
  }
  const missing = desired.filter((d) => !sg.ingress.some((r) => sameRule(d, r)));
  if (missing.length > 0) {
    const what = missing.map(describeRule).join(', ');
    return correct(
      i,
      { kind: 'authorizeIngress', groupId: sg.id, rules: missing, description: `Allow ${what} on security group ${sg.id}` },
      `security group ${sg.id} lacked ${what}`,
    );
  }
  return DONE;
}

function routeTableStep(i: PlanInput): StepOutcome {
  const { vpc, routeTable: rt } = i.observed;
  if (!vpc) return waitFor(i, 'the VPC');
  if (!rt) return act({ kind: 'createRouteTable', description: `Create the route table of VPC ${vpc.id}` }, Reasons.Creating);
  // Nothing public: a route to an internet or NAT gateway in our table is removed, whoever added it.
  const publicRoute = rt.routes.find((r) => r.target.kind === 'internet-gateway' || r.target.kind === 'nat-gateway');
  if (publicRoute) {
    const target = 'id' in publicRoute.target ? publicRoute.target.id : '';
    return act(
      {
        kind: 'deleteRoute',
        routeTableId: rt.id,
        destination: publicRoute.destination,
        description: `Delete route ${publicRoute.destination} → ${target} from ${rt.id}`,
        drift: `route table ${rt.id} routed ${publicRoute.destination} to ${target}: nothing in a landing zone is public`,
      },
      Reasons.DriftDetected,
    );
  }
  for (const s of subnetIdsInSpecOrder(i).ids) {
    if (rt.associations.some((a) => a.subnetId === s)) continue;
    const elsewhere = i.observed.otherRouteTables.flatMap((t) => t.associations).find((a) => a.subnetId === s);
    if (elsewhere) {
      return correct(
        i,
        { kind: 'disassociateRouteTable', associationId: elsewhere.id, description: `Detach subnet ${s} from another route table` },
        `subnet ${s} used another route table`,
      );
    }
    return act(
      { kind: 'associateRouteTable', routeTableId: rt.id, subnetId: s, description: `Associate subnet ${s} with route table ${rt.id}` },
      Reasons.Creating,
    );
  }
  return DONE;
}

/** Subnets this LandingZone tagged that the spec no longer lists: released by the DB subnet group and the attachment first. */
function strayResourcesStep(i: PlanInput): StepOutcome {
  const specCidrs = new Set(i.n.subnets.map((s) => s.cidr));
  const stray = i.observed.subnets.filter((s) => isOwnedBy(s.tags, i.names.identity) && !specCidrs.has(s.cidr));
  for (const s of stray) {
    const inGroup = i.observed.subnetGroup?.subnetIds.includes(s.id) ?? false;
    const inAttachment = i.observed.attachments.some((a) => !GONE_ATTACHMENT_STATES.has(a.state) && a.subnetIds.includes(s.id));
    if (inGroup || inAttachment)
      return waitFor(i, `subnet ${s.id} (${s.cidr}, no longer in spec) to leave the DB subnet group and the attachment`);
    const association = i.observed.routeTable?.associations.find((a) => a.subnetId === s.id);
    if (association)
      return act({
        kind: 'disassociateRouteTable',
        associationId: association.id,
        description: `Detach subnet ${s.id} (no longer in spec)`,
      });
    return act({
      kind: 'deleteSubnet',
      subnetId: s.id,
      description: `Delete subnet ${s.id} (${s.cidr}), no longer in spec.network.subnets`,
    });
  }
  return DONE;
}
