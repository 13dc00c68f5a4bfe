#!/usr/bin/env node
// The `cb` binary: runs the TypeScript sources through tsx (the one way this package ships).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
