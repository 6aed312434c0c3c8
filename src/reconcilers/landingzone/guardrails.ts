// Guardrails checked before any AWS call: the CRD's CEL rules say the same, but an object stored under
// an older CRD (or with validation off) must still never reach AWS. Each finding names field and value.
import { MIN_ENGINE_MAJOR } from '../../api/index.js';
import type { Normalized } from './desired.js';

export interface Violation {
  field: string;
  message: string;
}

interface Range {
  start: number;
  prefix: number;
}

export function parseCidr(cidr: string): Range | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const start = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { start, prefix };
}

function size(r: Range): number {
  return 2 ** (32 - r.prefix);
}

export function cidrContains(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  if (!a || !b || b.prefix < a.prefix) return false;
  const base = a.start - (a.start % size(a));
  return b.start >= base && b.start < base + size(a);
}

export function cidrOverlaps(x: string, y: string): boolean {
  return cidrContains(x, y) || cidrContains(y, x);
}

/** Every guardrail the spec breaks; empty when AWS may be called. */
export function checkGuardrails(n: Normalized): Violation[] {
  const out: Violation[] = [];
  const add = (field: string, message: string): void => {
    out.push({ field, message });
  };
  if (!n.storageEncrypted) add('spec.database.storageEncrypted', 'spec.database.storageEncrypted is false: unencrypted storage is refused');
  if (n.tier === 'production' && !n.multiAZ) {
    add('spec.database.multiAZ', 'spec.database.multiAZ is false but spec.database.tier is production: production requires Multi-AZ');
  }
  if (n.tier === 'production' && !n.deletionProtection) {
    add(
      'spec.database.deletionProtection',
      'spec.database.deletionProtection is false but spec.database.tier is production: production requires deletion protection',
    );
  }
  n.allowedCidrs.forEach((c, i) => {
    if (parseCidr(c)?.prefix === 0) {
      add(`spec.network.allowedCidrs[${i}]`, `spec.network.allowedCidrs[${i}] is "${c}": PostgreSQL must never be open to every address`);
    }
  });
  checkStorage(n, add);
  const major = Number.parseInt(n.engineVersion.split('.')[0] ?? '', 10);
  if (!Number.isFinite(major) || major < MIN_ENGINE_MAJOR) {
    add(
      'spec.database.engineVersion',
      `spec.database.engineVersion is "${n.engineVersion}": PostgreSQL ${MIN_ENGINE_MAJOR} or later is required`,
    );
  }
  checkNetwork(n, add);
  return out;
}

function checkStorage(n: Normalized, add: (field: string, message: string) => void): void {
  const s = n.storage;
  if (s.type === 'gp3' && s.allocatedGiB < 400) {
    if (s.iops !== undefined) {
      add(
        'spec.database.storage.iops',
        `spec.database.storage.iops is ${s.iops} with allocatedGiB ${s.allocatedGiB}: ` +
          'gp3 takes iops only from 400 GiB (below, the baseline is 3000)',
      );
    }
    if (s.throughputMiBps !== undefined) {
      add(
        'spec.database.storage.throughputMiBps',
        `spec.database.storage.throughputMiBps is ${s.throughputMiBps} with allocatedGiB ${s.allocatedGiB}: ` +
          'gp3 takes throughput only from 400 GiB (below, the baseline is 125)',
      );
    }
  }
  if ((s.type === 'io1' || s.type === 'io2') && s.iops === undefined) {
    add('spec.database.storage.iops', `spec.database.storage.iops is required with spec.database.storage.type ${s.type}`);
  }
  if (s.type !== 'gp3' && s.throughputMiBps !== undefined) {
    add(
      'spec.database.storage.throughputMiBps',
      `spec.database.storage.throughputMiBps is ${s.throughputMiBps}: only gp3 takes it, not ${s.type}`,
    );
  }
}

function checkNetwork(n: Normalized, add: (field: string, message: string) => void): void {
  n.subnets.forEach((s, i) => {
    if (!cidrContains(n.vpcCidr, s.cidr)) {
      add(
        `spec.network.subnets[${i}].cidr`,
        `spec.network.subnets[${i}].cidr is "${s.cidr}": it must lie inside spec.network.vpcCidr ${n.vpcCidr}`,
      );
    }
    if (!s.availabilityZone.startsWith(n.region)) {
      add(
        `spec.network.subnets[${i}].availabilityZone`,
        `spec.network.subnets[${i}].availabilityZone is "${s.availabilityZone}": it must be in spec.region ${n.region}`,
      );
    }
  });
  (n.transitGateway?.routes ?? []).forEach((r, i) => {
    if (cidrOverlaps(n.vpcCidr, r)) {
      add(
        `spec.network.transitGateway.routes[${i}]`,
        `spec.network.transitGateway.routes[${i}] is "${r}": it overlaps spec.network.vpcCidr ${n.vpcCidr}, which the VPC routes locally`,
      );
    }
  });
}
