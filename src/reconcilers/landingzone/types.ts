import type { Reason } from '../../api/index.js';
// The vocabulary of the LandingZone reconciler: what it observed of AWS and Kubernetes, the one action
// a plan picks, and how each part (network, Transit Gateway, database, ...) stands.
import type { Part } from '../../aws/tags.js';
import type { AttachmentInfo } from '../../aws/transitgateway.js';
import type { RouteTableInfo, SubnetInfo, VpcInfo } from '../../aws/network.js';
import type { ParameterGroupInfo, ParameterSetting, SubnetGroupInfo } from '../../aws/rds-groups.js';
import type { DbInstanceInfo, InstanceChanges, InstanceSettings } from '../../aws/rds-instance.js';
import type { IngressRule, SecurityGroupInfo } from '../../aws/securitygroup.js';

export type SecretState = 'missing' | 'current' | 'stale' | 'foreign';

export interface MasterSecretState {
  exists: boolean;
  /** Not labelled as this LandingZone's: never overwritten. */
  foreign: boolean;
  /** DbiResourceId of the instance the stored password was last set on. */
  appliedTo?: string;
}

export interface Observed {
  vpc?: VpcInfo;
  /** Further VPCs carrying this LandingZone's tag (a create repeated across a crash): reported, not used. */
  duplicateVpcIds: string[];
  /** Every subnet of the VPC. */
  subnets: SubnetInfo[];
  /** The VPC's route table tagged as ours. */
  routeTable?: RouteTableInfo;
  /** Route tables other than ours: a spec subnet associated with one of them is moved to ours. */
  otherRouteTables: RouteTableInfo[];
  securityGroup?: SecurityGroupInfo;
  /** Every Transit Gateway attachment of the VPC, gone ones included. */
  attachments: AttachmentInfo[];
  subnetGroup?: SubnetGroupInfo;
  parameterGroup?: ParameterGroupInfo & { parameters: Record<string, string> };
  instance?: DbInstanceInfo;
  masterSecret: MasterSecretState;
  connectionSecret: SecretState;
  /** Why the connection Secret cannot be written yet, as a sentence for its condition. */
  connectionSecretBlocker?: string;
}

/** Every action the reconciler takes: one per pass, each idempotent. `drift` marks corrections (Warning Event). */
export type Action = { description: string; drift?: string } & (
  | { kind: 'createVpc' }
  | { kind: 'createSubnet'; cidr: string; availabilityZone: string }
  | { kind: 'disablePublicIp'; subnetId: string }
  | { kind: 'createSecurityGroup' }
  | { kind: 'revokeIngress'; groupId: string; rules: IngressRule[] }
  | { kind: 'authorizeIngress'; groupId: string; rules: IngressRule[] }
  | { kind: 'createRouteTable' }
  | { kind: 'associateRouteTable'; routeTableId: string; subnetId: string }
  | { kind: 'disassociateRouteTable'; associationId: string }
  | { kind: 'deleteRoute'; routeTableId: string; destination: string }
  | { kind: 'createRoute'; routeTableId: string; destination: string; transitGatewayId: string }
  | { kind: 'replaceRoute'; routeTableId: string; destination: string; transitGatewayId: string }
  | { kind: 'createAttachment'; transitGatewayId: string; subnetIds: string[] }
  | { kind: 'modifyAttachmentSubnets'; attachmentId: string; add: string[]; remove: string[] }
  | { kind: 'deleteAttachment'; attachmentId: string }
  | { kind: 'createSubnetGroup'; subnetIds: string[] }
  | { kind: 'modifySubnetGroup'; subnetIds: string[] }
  | { kind: 'createParameterGroup' }
  | { kind: 'setParameters'; settings: ParameterSetting[] }
  | { kind: 'createMasterSecret' }
  | { kind: 'createInstance'; settings: InstanceSettings; awsManagedPassword: boolean }
  | { kind: 'modifyInstance'; changes: InstanceChanges; touchesStorage: boolean }
  | { kind: 'setMasterPassword'; leaveAwsManagement: boolean }
  | { kind: 'rebootInstance' }
  | { kind: 'writeConnectionSecret' }
  | { kind: 'deleteSubnet'; subnetId: string }
  | { kind: 'tagResource'; resourceId: string; part: Part }
  // deletion only
  | { kind: 'deleteInstance'; finalSnapshotId: string }
  | { kind: 'deleteSubnetGroup' }
  | { kind: 'deleteParameterGroup' }
  | { kind: 'deleteRouteTable'; routeTableId: string }
  | { kind: 'deleteSecurityGroup'; groupId: string }
  | { kind: 'deleteVpc'; vpcId: string }
  | { kind: 'deleteSecrets' }
);

export type ActionKind = Action['kind'];

/** How one step stands: nothing to do, one action to take, waiting on AWS, or blocked until someone acts. */
export type StepOutcome =
  | { state: 'done' }
  | { state: 'act'; action: Action; reason: Reason }
  | { state: 'wait'; reason: Reason; message: string; requeueAfterMs: number }
  | { state: 'blocked'; reason: Reason; message: string };

export const PARTS = ['network', 'transitGateway', 'database', 'parameters', 'connectionSecret'] as const;
export type PartName = (typeof PARTS)[number];

/**
 * An action AWS refused for good (not found, invalid): its part waits until `until` so that the other
 * parts still converge instead of the same refused call being repeated every pass.
 */
export interface RefusedAction {
  part: PartName;
  kind: ActionKind;
  generation?: number;
  /** Epoch ms. */
  until: number;
  reason: Reason;
  message: string;
}

export interface Timings {
  /** After an action: look again soon (AWS describes are eventually consistent, so not at once). */
  afterActionMs: number;
  /** While AWS works (creating, modifying, attaching). */
  whileBusyMs: number;
  /** Converged: the drift check period. */
  driftCheckMs: number;
  /** Blocked on something a human fixes outside the spec (ownership, a missing Transit Gateway). */
  blockedMs: number;
  /** After RDS refused a storage change because the last one is still settling. */
  storageCooldownMs: number;
}

export const DEFAULT_TIMINGS: Timings = {
  afterActionMs: 2_000,
  whileBusyMs: 30_000,
  driftCheckMs: 60_000,
  blockedMs: 120_000,
  storageCooldownMs: 60 * 60_000,
};
