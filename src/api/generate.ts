// Renders crds/ from the kind definitions in src/api: one deterministic YAML file per kind.
// `tenantshift crds generate` (npm run crds) writes them; a unit test checks they are fresh.
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GROUP } from './common.js';
import { buildCrd, type KindDefinition } from './crd.js';
import { LandingZoneDefinition } from './landingzone.js';
import { SchemaReplicationDefinition } from './schemareplication.js';
import { TenantCutoverDefinition } from './tenantcutover.js';

export const KIND_DEFINITIONS: readonly KindDefinition[] = [LandingZoneDefinition, SchemaReplicationDefinition, TenantCutoverDefinition];

export const CRD_HEADER = '# Generated from src/api by `npm run crds`; do not edit by hand.\n';

export interface RenderedCrd {
  file: string;
  yaml: string;
}

export function crdFileName(definition: KindDefinition): string {
  return `${GROUP}_${definition.names.plural}.yaml`;
}

export function renderCrds(): RenderedCrd[] {
  return KIND_DEFINITIONS.map((definition) => ({
    file: crdFileName(definition),
    // lineWidth 0: no folding, so a CEL rule or description is one greppable line.
    yaml: CRD_HEADER + stringify(buildCrd(definition), { lineWidth: 0 }),
  }));
}

/** Writes every CRD into `dir` and removes generated files of kinds that no longer exist. */
export function writeCrds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const rendered = renderCrds();
  const keep = new Set(rendered.map((crd) => crd.file));
  for (const file of readdirSync(dir)) {
    if (file.startsWith(`${GROUP}_`) && file.endsWith('.yaml') && !keep.has(file)) unlinkSync(join(dir, file));
  }
  return rendered.map((crd) => {
    const path = join(dir, crd.file);
    writeFileSync(path, crd.yaml);
    return path;
  });
}
