// A trivial upstream MCP server for the /mcp gateway benchmark: every
// request gets the same JSON-RPC result, after its body has been read.
//
//   node bench/upstream.mjs --port 3001 [--host 127.0.0.1]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
	options: {
		host: { type: 'string', default: '127.0.0.1' },
		port: { type: 'string', default: '3001' }
	}
});
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} });

const server = http.createServer((req, res) => {
	req.resume();
	req.on('end', () => {
		res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	});
});
server.keepAliveTimeout = 60000;
server.listen(Number(opts.port), opts.host, () => {
	console.error(`upstream: http://${opts.host}:${opts.port}/mcp`);
});
