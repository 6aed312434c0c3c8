// crds/ must be exactly what src/api renders: the CRDs users apply are the ones the code describes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GROUP } from '../../../src/api/common.js';
import { renderCrds } from '../../../src/api/generate.js';
import { packageRoot } from '../../../src/devstack/paths.js';

const STALE = 'crds/ is stale: run `npm run crds`';

describe('crds/ freshness', () => {
  const crdsDir = join(packageRoot(), 'crds');
  const rendered = renderCrds();

  it('holds exactly one file per kind and no leftovers', () => {
    const onDisk = existsSync(crdsDir) ? readdirSync(crdsDir).filter((f) => f.startsWith(`${GROUP}_`)) : [];
    assert.deepEqual(onDisk.sort(), rendered.map((crd) => crd.file).sort(), STALE);
  });

  for (const crd of rendered) {
    it(`${crd.file} matches src/api byte for byte`, () => {
      const path = join(crdsDir, crd.file);
      assert.ok(existsSync(path), `${STALE} (${crd.file} is missing)`);
      // Compared as booleans first so a mismatch prints the hint, not two 400-line strings.
      assert.ok(readFileSync(path, 'utf8') === crd.yaml, `${STALE} (${crd.file} differs)`);
    });

    it(`${crd.file} reads the same to YAML 1.1 parsers (kubectl, sigs.k8s.io/yaml)`, () => {
      assert.deepEqual(parse(crd.yaml, { version: '1.1' }), parse(crd.yaml));
    });
  }
});
