import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/', 'node_modules/', '.data/', 'templates/**/dist/', 'templates/**/node_modules/',
      // Apps as users write them, for the version-names tool to read, some with the very code it must refuse (eval, dynamic require).
      'test/fixtures/apps/versioned-names/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'always'],
    },
  },
);
