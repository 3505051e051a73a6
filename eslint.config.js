// Lint rules. The direction of imports between layers is checked by dependency-cruiser
// (.dependency-cruiser.cjs, `npm run lint:deps`), not here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.tools/**',
      '.cache/**',
      'var/**',
      'coverage/**',
      'bin/**',
      'scratch-ignored/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // CommonJS configuration files read by Node tools.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  {
    // The console's browser script: plain JavaScript, browser globals.
    files: ['console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'fetch',
          'EventSource',
          'URLSearchParams',
          'CSS',
          'HTMLElement',
          'Element',
          'navigator',
          'setTimeout',
          'setInterval',
          'clearTimeout',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
