// Lint for all TypeScript: the typescript-eslint recommended rules, plus a few house rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'var/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A spread argument puts every element on the stack: `adds.push(...entries)` with 150,000 bans threw RangeError.
      // Use pushAll/maxOf/minOf (enforcer/core/arrays.ts) or a loop.
      'no-restricted-syntax': ['error',
        { selector: 'CallExpression > SpreadElement', message: 'No spread arguments in calls (stack overflow on big arrays): use pushAll/maxOf/minOf from enforcer/core/arrays.ts or a loop' },
        { selector: 'NewExpression > SpreadElement', message: 'No spread arguments in calls (stack overflow on big arrays): use a loop' }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
