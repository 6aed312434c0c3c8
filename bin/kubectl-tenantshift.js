#!/usr/bin/env node
// The `tenantshift` command: runs the compiled CLI (npm ci / npm run build produce dist/).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('tenantshift: dist/ is missing; run `npm run build` first');
    process.exit(2);
  }
  throw err;
});
