// Lint rules, including the dependency direction of the architecture: imports point
// down (http -> lifecycle/audit -> decide -> schema), never up.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.cache/**', 'var/**', 'coverage/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The console's browser script: plain JavaScript, browser globals.
    files: ['console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'fetch', 'EventSource', 'CSS', 'HTMLElement', 'Element', 'navigator', 'setTimeout', 'setInterval', 'clearTimeout'].map((g) => [g, 'readonly']),
      ),
    },
  },
  restrict(['gateway/!(server.ts)', 'gateway/*/**'], [
    { group: ['**/console/**'], message: 'the console sits above gateway/http; only the composition root (gateway/server.ts) mounts it.' },
  ]),
  restrict(['gateway/schema/**'], [
    { group: ['**/gateway/*/**', '../*/**', '!./**'], message: 'gateway/schema is the bottom layer: it imports no other module.' },
  ]),
  restrict(['gateway/decide/**'], [
    { group: ['**/policy/**', '**/store/**', '**/http/**', '**/lifecycle/**', '**/audit/**', '**/cli/**', '**/drivers/**'], message: 'gateway/decide is pure: it may import only gateway/schema.' },
  ]),
  restrict(['gateway/policy/**'], [
    { group: ['**/store/**', '**/http/**', '**/lifecycle/**', '**/audit/**', '**/cli/**', '**/drivers/**'], message: 'gateway/policy loads policies; it does not reach up to the server.' },
  ]),
  restrict(['drivers/**'], [
    { group: ['**/gateway/!(schema)/**', '**/gateway/!(schema)'], message: 'drivers import only gateway/schema.' },
  ]),
);
