// node20-hooks.mjs: the module resolve hook of node20.mjs.
const fsPlus = 'data:text/javascript,' + encodeURIComponent(
	"export * from 'node:fs';\n" +
	"export function globSync() { throw new Error('fs.globSync needs Node 22'); }\n");

export async function resolve(specifier, context, next) {
	if ((specifier === 'fs' || specifier === 'node:fs') &&
		context.parentURL?.includes('/@modelcontextprotocol/conformance/'))
		return { url: fsPlus, shortCircuit: true };
	return next(specifier, context);
}
