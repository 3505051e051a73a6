#!/usr/bin/env node
// The `interlock` command: runs the TypeScript CLI through tsx's loader (no build step).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's tsconfig, wherever the command runs from (JSX settings, module resolution).
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../gateway/cli/main.ts');
