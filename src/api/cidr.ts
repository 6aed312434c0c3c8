// IPv4 CIDR fields: a pattern for the shape (its error shows the value) plus CEL from the
// Kubernetes cidr library for what a regex cannot say (network address, prefix range).
import { Type } from '@sinclair/typebox';
import type { CelRule } from './common.js';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
export const IPV4_CIDR_PATTERN = `^(${OCTET}\\.){3}${OCTET}/([0-9]|[12][0-9]|3[0-2])$`;

export interface CidrFieldOptions {
  /** Full field path used in refusal messages, e.g. spec.network.vpcCidr. */
  path: string;
  description: string;
  minPrefix?: number;
  maxPrefix?: number;
  /** Refuses 0.0.0.0/0 (and any /0): for who may reach a database, "everyone" is never an answer. */
  forbidEveryAddress?: boolean;
}

export function ipv4CidrField(options: CidrFieldOptions) {
  const { path, minPrefix, maxPrefix } = options;
  // isCIDR guards every rule: a malformed value is reported once, by the pattern.
  const rules: CelRule[] = [
    {
      rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
      messageExpression: `'${path} must be a network address without host bits set, got "' + self + '"'`,
    },
  ];
  if (minPrefix !== undefined && maxPrefix !== undefined) {
    rules.push({
      rule: `!isCIDR(self) || (cidr(self).prefixLength() >= ${minPrefix} && cidr(self).prefixLength() <= ${maxPrefix})`,
      messageExpression: `'${path} must have a prefix length from /${minPrefix} to /${maxPrefix} (AWS limit), got "' + self + '"'`,
    });
  }
  if (options.forbidEveryAddress) {
    rules.push({
      rule: '!isCIDR(self) || cidr(self).prefixLength() > 0',
      messageExpression: `'${path} must not be "' + self + '": PostgreSQL must never be open to every address'`,
    });
  }
  const range = minPrefix === undefined ? '' : ` Prefix length /${minPrefix} to /${maxPrefix}.`;
  return Type.String({
    description: `${options.description} An IPv4 network in CIDR notation, e.g. 10.40.0.0/16.${range}`,
    maxLength: 18,
    pattern: IPV4_CIDR_PATTERN,
    'x-kubernetes-validations': rules,
  });
}
