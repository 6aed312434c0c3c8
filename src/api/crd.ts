// Renders a kind definition (names, TypeBox spec/status, printer columns) as an
// apiextensions.k8s.io/v1 CustomResourceDefinition whose schema is structural. It throws on
// TypeBox constructs a CRD cannot express and on fields without a description.
import type { TSchema } from '@sinclair/typebox';
import { CATEGORY, GROUP, VERSION } from './common.js';

export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  names: KindNames;
  /** Shown by `kubectl explain <kind>`. */
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: readonly PrinterColumn[];
}

export type JsonObject = { [key: string]: unknown };

// Output order of schema keywords: fixed, so the YAML is stable and reads top-down.
const KEYWORDS = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'maxProperties',
  'required',
  'properties',
  'items',
  'additionalProperties',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
] as const;
// TypeBox keywords translated below rather than copied.
const TRANSLATED = new Set(['anyOf', 'patternProperties']);
const ALLOWED = new Set<string>([...KEYWORDS, ...TRANSLATED]);

/** The structural-schema form of a TypeBox schema; `path` names the field in errors. */
export function toCrdSchema(schema: TSchema, path: string): JsonObject {
  for (const key of Object.keys(schema)) {
    if (!ALLOWED.has(key)) throw new Error(`${path}: keyword "${key}" cannot go into a CRD schema`);
  }
  const source: JsonObject = { ...schema };
  if (schema.anyOf !== undefined) Object.assign(source, enumOf(schema.anyOf as TSchema[], path));
  if (schema.patternProperties !== undefined) {
    const patterns = Object.values(schema.patternProperties as Record<string, TSchema>);
    if (patterns.length !== 1) throw new Error(`${path}: a map needs exactly one value schema`);
    source.additionalProperties = toCrdSchema(patterns[0], `${path}[*]`);
  }
  if (schema.properties !== undefined) {
    const properties: JsonObject = {};
    for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
      if (typeof property.description !== 'string' || property.description === '') {
        throw new Error(`${path}.${name} has no description`);
      }
      properties[name] = toCrdSchema(property, `${path}.${name}`);
    }
    source.properties = properties;
  }
  if (schema.items !== undefined) source.items = toCrdSchema(schema.items as TSchema, `${path}[]`);
  if (typeof source.type !== 'string') throw new Error(`${path}: no type`);
  const out: JsonObject = {};
  for (const keyword of KEYWORDS) {
    if (source[keyword] !== undefined) out[keyword] = source[keyword];
  }
  return out;
}

function enumOf(variants: TSchema[], path: string): JsonObject {
  const values = variants.map((variant) => variant.const as unknown);
  if (!values.every((value) => typeof value === 'string')) {
    throw new Error(`${path}: only unions of string literals (enums) are supported`);
  }
  return { type: 'string', enum: values };
}

const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert ' +
  'recognized schemas to the latest internal value, and may reject unrecognized values.';
const KIND_DOC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from ' +
  'the endpoint the client submits requests to. In CamelCase.';

export function buildCrd(definition: KindDefinition): JsonObject {
  const { names } = definition;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.printerColumns.map((column) => ({ ...column })),
          schema: {
            openAPIV3Schema: {
              description: definition.description,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { description: API_VERSION_DOC, type: 'string' },
                kind: { description: KIND_DOC, type: 'string' },
                metadata: { type: 'object' },
                spec: toCrdSchema(definition.spec, 'spec'),
                status: toCrdSchema(definition.status, 'status'),
              },
            },
          },
        },
      ],
    },
  };
}
