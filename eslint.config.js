// Lint: typescript-eslint's recommended rules over every TypeScript file, the shape of src/ (file and
// function sizes, complexity, line length) and the direction of its imports.
//
// Layers, bottom to top; a layer imports only the layers below it (docs/architecture.md):
//   api/, errors.ts and redact.ts          the contract, the one error type, the one redaction
//   postgres/, aws/, routing/, observability/   adapters: speak to one outside thing each
//   runtime/                                queue, informers, leader election, status writes
//   reconcilers/<kind>/, reconcilers/shared/     the domain; never a sibling reconciler's internals
//   controllers/                            Kubernetes wiring of the reconcilers
//   devstack/                               the local stack
//   cli/                                    the command, on top
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` patterns that forbid importing the named src/ directories. */
function forbid(message, ...dirs) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: dirs.map((d) => ({
          group: [`**/${d}/**`, `**/${d}/*.js`, `**/${d}.js`],
          message: `${message} (imports run downward only)`,
        })),
      },
    ],
  };
}

const ABOVE_ADAPTERS = ['runtime', 'reconcilers', 'controllers', 'devstack', 'cli'];
const ADAPTERS = ['postgres', 'aws', 'routing'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tenantshift/**', '.unitdist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['bin/**/*.js', 'hack/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
      'max-len': ['error', { code: 140, ignoreUrls: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 15],
    },
  },
  {
    files: ['src/api/**/*.ts', 'src/errors.ts', 'src/redact.ts'],
    rules: forbid('api and errors are the bottom layer', ...ADAPTERS, 'observability', ...ABOVE_ADAPTERS),
  },
  {
    files: ['src/postgres/**/*.ts'],
    rules: forbid('an adapter imports only api and errors', 'aws', 'routing', 'observability', ...ABOVE_ADAPTERS),
  },
  {
    files: ['src/aws/**/*.ts'],
    rules: forbid('an adapter imports only api and errors', 'postgres', 'routing', 'observability', ...ABOVE_ADAPTERS),
  },
  {
    files: ['src/routing/**/*.ts'],
    rules: forbid('an adapter imports only api and errors', 'postgres', 'aws', 'observability', ...ABOVE_ADAPTERS),
  },
  { files: ['src/observability/**/*.ts'], rules: forbid('observability imports only api and errors', ...ADAPTERS, ...ABOVE_ADAPTERS) },
  {
    files: ['src/runtime/**/*.ts'],
    rules: forbid('runtime sits under the reconcilers', ...ADAPTERS, ...ABOVE_ADAPTERS.filter((d) => d !== 'runtime')),
  },
  {
    files: ['src/reconcilers/landingzone/**/*.ts'],
    rules: forbid(
      'a reconciler never imports a sibling reconciler',
      'reconcilers/schemareplication',
      'reconcilers/tenantcutover',
      'controllers',
      'devstack',
      'cli',
    ),
  },
  {
    files: ['src/reconcilers/schemareplication/**/*.ts'],
    rules: forbid(
      'a reconciler never imports a sibling reconciler',
      'reconcilers/landingzone',
      'reconcilers/tenantcutover',
      'controllers',
      'devstack',
      'cli',
    ),
  },
  {
    files: ['src/reconcilers/tenantcutover/**/*.ts'],
    rules: forbid(
      'a reconciler never imports a sibling reconciler',
      'reconcilers/landingzone',
      'reconcilers/schemareplication',
      'controllers',
      'devstack',
      'cli',
    ),
  },
  {
    files: ['src/reconcilers/shared/**/*.ts'],
    rules: forbid(
      'shared reconciler code imports no reconciler',
      'reconcilers/landingzone',
      'reconcilers/schemareplication',
      'reconcilers/tenantcutover',
      'controllers',
      'devstack',
      'cli',
    ),
  },
  { files: ['src/controllers/**/*.ts'], rules: forbid('controllers sit under the local stack and the command', 'devstack', 'cli') },
  { files: ['src/devstack/**/*.ts'], rules: forbid('the local stack sits under the command', 'cli', 'controllers', 'reconcilers') },
);
