#!/usr/bin/env node
// Entry point of the `suanwang` command. Where the TypeScript sources are (a checkout, an npm install of it), Node 24
// runs them directly (type stripping), so there is no build step between editing and running, and compiled output
// lying around (build/dist, a dist/) is never used. The container image holds no sources, only ../dist: src/ compiled
// by tsconfig.build.json, so that no process there loads Node's TypeScript stripper (about 14 MiB resident each).
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import((existsSync(sources) ? sources : new URL('../dist/cli/main.js', import.meta.url)).href);

process.exitCode = await main(process.argv.slice(2));
