// Lint for all TypeScript: the typescript-eslint recommended rules, plus a few house rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The enforcer's folders, lowest first, each with the folders it must not import. One exception: config may import the
 * rule registry (core/rules/), because each rule module declares its own config keys and the one schema is built from
 * them; nothing else of core.
 */
const layers = {
  net: ['config', 'core', 'adapters', 'replay', 'api', 'daemon', 'demo', 'cli', 'nginx'],
  nginx: ['config', 'core', 'adapters', 'replay', 'api', 'daemon', 'demo', 'cli'],
  config: ['core/(?!rules/)', 'adapters', 'replay', 'api', 'daemon', 'demo', 'cli', 'nginx'],
  core: ['adapters', 'replay', 'api', 'daemon', 'demo', 'cli', 'nginx'],
  adapters: ['replay', 'api', 'daemon', 'demo', 'cli'],
  replay: ['api', 'daemon', 'demo', 'cli'],
  api: ['replay', 'daemon', 'demo', 'cli'],
  daemon: ['demo', 'cli'],
  demo: ['cli'],
};

function layerRules() {
  return Object.entries(layers).map(([layer, above]) => ({
    files: [`enforcer/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            regex: `^(\\.\\./)+(${above.map((a) => (a.includes('/') ? a : `${a}/`)).join('|')})`,
            message: `enforcer/${layer} sits below ${above.map((a) => a.replace('/(?!rules/)', ' (but core/rules)')).join(', ')}: imports point down the layers only.`,
          },
          ...(layer === 'core'
            ? [{ regex: '^node:', message: 'enforcer/core is pure: no I/O, no clock (inject them).' }]
            : []),
        ],
      }],
    },
  }));
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'var/**', 'test-artifacts/**', 'test/fixtures/njs-v1/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // Imports point down the layers only (docs/architecture in README: net, nginx < config < core < adapters < replay,
  // api < daemon < demo, cli). A layer may not import the ones above it; the core does no I/O at all.
  ...layerRules(),
  {
    // The dashboard is browser code: from the enforcer it takes only the API's response types.
    files: ['dashboard/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./enforcer/(?!api/types\\.js$)', message: 'the dashboard imports only enforcer/api/types.js (types).' }],
      }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
