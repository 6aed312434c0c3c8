// The DB subnet group and DB parameter group through the RDS API. Their names are deterministic, so a
// describe by name is the idempotency check (RDS has no ClientToken); "not found" reads as undefined.
import {
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  DeleteDBParameterGroupCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBParameterGroupCommand,
  ModifyDBSubnetGroupCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { awsCall, isAwsError } from './errors.js';

export interface SubnetGroupInfo {
  name: string;
  vpcId: string;
  subnetIds: string[];
}

export interface ParameterGroupInfo {
  name: string;
  family: string;
}

export type ApplyMethod = 'immediate' | 'pending-reboot';

export interface ParameterSetting {
  name: string;
  value: string;
  applyMethod: ApplyMethod;
}

/** ModifyDBParameterGroup takes at most 20 parameters per call. */
export const MAX_PARAMETERS_PER_MODIFY = 20;

async function orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isAwsError(e, 'not-found')) return undefined;
    throw e;
  }
}

export class DbSubnetGroups {
  constructor(private readonly rds: RDSClient) {}

  describe(name: string): Promise<SubnetGroupInfo | undefined> {
    return orUndefined(async () => {
      const out = await awsCall('DescribeDBSubnetGroups', () =>
        this.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })),
      );
      const g = out.DBSubnetGroups?.[0];
      if (!g) return undefined;
      return {
        name: g.DBSubnetGroupName ?? name,
        vpcId: g.VpcId ?? '',
        subnetIds: (g.Subnets ?? []).map((s) => s.SubnetIdentifier ?? '').filter(Boolean),
      };
    });
  }

  async create(opts: { name: string; description: string; subnetIds: string[]; tags: Tag[] }): Promise<void> {
    await awsCall('CreateDBSubnetGroup', () =>
      this.rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: opts.name,
          DBSubnetGroupDescription: opts.description,
          SubnetIds: opts.subnetIds,
          Tags: opts.tags,
        }),
      ),
    );
  }

  async modify(opts: { name: string; description: string; subnetIds: string[] }): Promise<void> {
    await awsCall('ModifyDBSubnetGroup', () =>
      this.rds.send(
        new ModifyDBSubnetGroupCommand({
          DBSubnetGroupName: opts.name,
          DBSubnetGroupDescription: opts.description,
          SubnetIds: opts.subnetIds,
        }),
      ),
    );
  }

  async delete(name: string): Promise<void> {
    await awsCall('DeleteDBSubnetGroup', () => this.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: name })));
  }
}

export class DbParameterGroups {
  constructor(private readonly rds: RDSClient) {}

  describe(name: string): Promise<ParameterGroupInfo | undefined> {
    return orUndefined(async () => {
      const out = await awsCall('DescribeDBParameterGroups', () =>
        this.rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name })),
      );
      const g = out.DBParameterGroups?.[0];
      return g ? { name: g.DBParameterGroupName ?? name, family: g.DBParameterGroupFamily ?? '' } : undefined;
    });
  }

  /** The parameters set on the group (Source "user"); undefined when the group does not exist. */
  userParameters(name: string): Promise<Record<string, string> | undefined> {
    return orUndefined(async () => {
      const values: Record<string, string> = {};
      let Marker: string | undefined;
      do {
        const page = await awsCall('DescribeDBParameters', () =>
          this.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: name, Source: 'user', Marker })),
        );
        for (const p of page.Parameters ?? []) {
          if (p.ParameterName && p.ParameterValue !== undefined) values[p.ParameterName] = p.ParameterValue;
        }
        Marker = page.Marker;
      } while (Marker);
      return values;
    });
  }

  async create(opts: { name: string; family: string; description: string; tags: Tag[] }): Promise<void> {
    await awsCall('CreateDBParameterGroup', () =>
      this.rds.send(
        new CreateDBParameterGroupCommand({
          DBParameterGroupName: opts.name,
          DBParameterGroupFamily: opts.family,
          Description: opts.description,
          Tags: opts.tags,
        }),
      ),
    );
  }

  /** Sets the first MAX_PARAMETERS_PER_MODIFY settings; the caller's next pass sets the rest. */
  async modify(name: string, settings: ParameterSetting[]): Promise<void> {
    const batch = settings.slice(0, MAX_PARAMETERS_PER_MODIFY);
    if (batch.length === 0) return;
    await awsCall('ModifyDBParameterGroup', () =>
      this.rds.send(
        new ModifyDBParameterGroupCommand({
          DBParameterGroupName: name,
          Parameters: batch.map((s) => ({ ParameterName: s.name, ParameterValue: s.value, ApplyMethod: s.applyMethod })),
        }),
      ),
    );
  }

  async delete(name: string): Promise<void> {
    await awsCall('DeleteDBParameterGroup', () => this.rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: name })));
  }
}
