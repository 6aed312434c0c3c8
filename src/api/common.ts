// Pieces shared by every tenantshift kind: the API group, object references, the standard
// condition list, enums and the CEL-rule shape. Kind files compose these; crd.ts renders them.
import { Type, type SchemaOptions, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

export const GROUP = 'tenantshift.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
/** `kubectl get tenantshift` lists every kind of this group. */
export const CATEGORY = 'tenantshift';

/** One entry of `x-kubernetes-validations` (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Schema options carrying CEL rules; spread into a TypeBox options object. */
export function celRules(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A closed set of strings: a TypeBox union of literals, rendered as a string `enum` in the CRD. */
export function stringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as TUnion<TLiteral<T[number]>[]>;
}

/** DNS-1123 subdomain: what Kubernetes accepts as the name of a Secret or a custom object. */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export function objectName(description: string): ReturnType<typeof Type.String> {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN });
}

/** A reference to a connection Secret in the object's own namespace. */
export function secretRef(description: string) {
  return Type.Object(
    {
      name: objectName(
        'Name of a Secret in the same namespace with the keys host, port, dbname, user, password and ' +
          'optionally sslmode (default verify-full with sslrootcert, else require; never prefer), sslrootcert (a PEM), ' +
          'and privileged-user with privileged-password (vanilla PostgreSQL only: ' +
          'the login that creates subscriptions, which RDS lets rds_superuser do). Credentials live only there.',
      ),
    },
    { description },
  );
}
export type SecretRef = Static<ReturnType<typeof secretRef>>;

/** A reference by name to another tenantshift object in the same namespace. */
export function localRef(kind: string, description: string, options: SchemaOptions = {}) {
  return Type.Object({ name: objectName(`Name of the ${kind} in the same namespace.`) }, { description, ...options });
}
export type LocalRef = Static<ReturnType<typeof localRef>>;

export const DELETION_POLICIES = ['Retain', 'Delete'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export function deletionPolicy(whatDeleteRemoves: string) {
  return stringEnum(DELETION_POLICIES, {
    description:
      `What happens outside the cluster when this object is deleted. Retain (default) keeps it; ` + `Delete removes ${whatDeleteRemoves}.`,
    default: 'Retain',
  });
}

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** metav1.Condition, with the same bounds the Kubernetes API uses. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'Type of condition in CamelCase, e.g. Ready.',
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: stringEnum(CONDITION_STATUSES, { description: 'Status of the condition: True, False or Unknown.' }),
    reason: Type.String({
      description: 'Machine-readable CamelCase reason for the last transition, e.g. LagAboveThreshold.',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({
      description: 'Human-readable detail; names the field or object concerned. Never contains credentials.',
      maxLength: 32768,
    }),
    lastTransitionTime: Type.String({
      description: 'When the status last changed (RFC 3339); unchanged while only reason or message change.',
      format: 'date-time',
    }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: 'metadata.generation of the spec this condition was computed from.',
        format: 'int64',
        minimum: 0,
      }),
    ),
  },
  { description: 'One observation of the object, in the standard Kubernetes condition shape.' },
);
export type Condition = Static<typeof ConditionSchema>;
export type ConditionStatus = Condition['status'];

export function conditions(readyMeans: string) {
  return Type.Array(ConditionSchema, {
    description: `Current observations, one per type. ${readyMeans}`,
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}

export function observedGeneration() {
  return Type.Integer({
    description: 'metadata.generation of the spec the operator last acted on.',
    format: 'int64',
    minimum: 0,
  });
}

/** Free-text progress word shown in printer columns; informational, never a state machine. */
export function phase(examples: string) {
  return Type.String({ description: `Short summary of progress for humans, e.g. ${examples}.`, maxLength: 64 });
}
