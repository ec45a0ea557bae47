// node20.mjs: lets the conformance suite run on Node 20
// (node --import ./node20.mjs).  Its bundle imports fs.globSync (Node 22),
// which only its tier-check command calls; where fs lacks it, the bundle's
// "fs" is fs plus a globSync that says so.  No-op on Node 22.
import fs from 'node:fs';
import { register } from 'node:module';

if (!('globSync' in fs))
	register('./node20-hooks.mjs', import.meta.url);
