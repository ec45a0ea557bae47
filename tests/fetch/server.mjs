// tests/fetch/server.mjs: the HTTPS server the fetcher tests fetch from.
//
//   node server.mjs CERT KEY
//
// Listens on 127.0.0.1 (HTTPS, and a plain TCP port that accepts and never
// answers) and prints {"https":PORT,"hole":PORT} on one line.  Paths:
//   /ok.json            200 JSON, ETag "v1", Cache-Control: max-age=600
//   /jwks               200 application/jwk-set+json
//   /charset            200 application/json; charset=utf-8
//   /redirect           302 to /ok.json
//   /notfound, /error   404, 500 (JSON)
//   /html, /no-type     200 text/html, 200 without Content-Type
//   /size?n=N           200 JSON of exactly N bytes, with Content-Length
//   /grow               200 JSON, chunked, no Content-Length, 1000 bytes
//                       every 10 ms up to 20000
//   /drip               200 JSON, one byte every 200 ms, never ends
//   /slow?...           200 JSON after 600 ms (any query: one path each)
//   /etag               304 (Cache-Control: max-age=1000) when If-None-Match
//                       is "v1", else 200 with ETag "v1"
//   /cache?cc=&expires=&date=&age=   200 JSON with those headers
//   /hits?path=P        {"hits":N}: requests seen for path+query P ("inm:" + P:
//                       those of them that carried If-None-Match)
//   /m/KIND/NAME        a client metadata document whose client_id is its
//                       own URL (Host header), redirect URI
//                       https://app.example/cb; KIND shapes it: good,
//                       loopback (Claude Code's portless loopback URIs),
//                       mismatch (another client_id), missing (no
//                       redirect_uris), notjson, html (text/html), big
//                       (6000 bytes), drip, redirect (302)
//                       pkjwt (private_key_jwt, jwks_uri /keys/NAME)
//   /keys/NAME          the JWK Set of this run's ES256 key (kid "k1")
//   /assertion?client_id=&aud=   a client assertion (RFC 7523) signed by it
//   /set?name=NAME&status=&cc=&etag=&delay=&kind=
//                       what /m/.../NAME answers from now on: status (200),
//                       Cache-Control (max-age=600), ETag (none; 304 to a
//                       matching If-None-Match), delay in ms, KIND instead
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';

const [cert, key] = process.argv.slice(2);
const hits = new Map();
const json = 'application/json';

function send(res, status, type, body, headers = {}) {
	const h = { ...headers };
	if (type) h['Content-Type'] = type;
	h['Content-Length'] = Buffer.byteLength(body);
	res.writeHead(status, h);
	res.end(body);
}

// What /m/.../NAME answers, by NAME (set by /set).
const docs = new Map();

// The client key of private_key_jwt documents.
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] });

// A client assertion for client_id, audience aud, valid for a minute.
function assertion(clientId, aud) {
	const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const now = Math.floor(Date.now() / 1000);
	const input = part({ alg: 'ES256', typ: 'JWT', kid: 'k1' }) + '.' +
		part({ iss: clientId, sub: clientId, aud, iat: now, exp: now + 60, jti: randomUUID() });
	return input + '.' + sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

// The body and type of a client metadata document of kind for id.
function metadata(kind, id, name) {
	const doc = { client_id: id, client_name: `Test app ${name}`, redirect_uris: ['https://app.example/cb'] };
	if (kind === 'loopback')
		doc.redirect_uris = ['http://localhost/callback', 'http://127.0.0.1/callback'];
	if (kind === 'mismatch')
		doc.client_id = id + '-other';
	if (kind === 'missing')
		delete doc.redirect_uris;
	if (kind === 'pkjwt') {
		doc.token_endpoint_auth_method = 'private_key_jwt';
		doc.jwks_uri = new URL(id).origin + '/keys/' + name;
	}
	if (kind === 'big')
		doc.padding = 'x'.repeat(6000);
	if (kind === 'notjson')
		return ['{"client_id": not json', json];
	return [JSON.stringify(doc), kind === 'html' ? 'text/html' : json];
}

// /m/KIND/NAME: a client metadata document, as /set shaped it.
function document(req, res, url) {
	const [, , pathKind, name] = url.pathname.split('/');
	const st = docs.get(name) || {};
	const kind = st.kind || pathKind;
	const headers = { 'Cache-Control': st.cc ?? 'max-age=600' };
	if (st.etag)
		headers.ETag = st.etag;
	if (req.headers['if-none-match'] !== undefined)
		hits.set('inm:' + req.url, (hits.get('inm:' + req.url) || 0) + 1);
	const answer = () => {
		if (kind === 'drip') {
			res.writeHead(200, { 'Content-Type': json });
			const t = setInterval(() => res.write(' '), 200);
			return res.on('close', () => clearInterval(t));
		}
		if (kind === 'redirect')
			return send(res, 302, json, '{}', { Location: '/m/good/' + name });
		if (st.etag && req.headers['if-none-match'] === st.etag) {
			res.writeHead(304, headers);
			return res.end();
		}
		const [body, type] = metadata(kind, `https://${req.headers.host}${url.pathname}`, name);
		return send(res, Number(st.status || 200), type, body, headers);
	};
	if (st.delay)
		return setTimeout(answer, Number(st.delay));
	return answer();
}

function handle(req, res) {
	const url = new URL(req.url, 'https://x');
	const q = url.searchParams;
	if (url.pathname !== '/hits' && url.pathname !== '/set')
		hits.set(req.url, (hits.get(req.url) || 0) + 1);
	if (url.pathname.startsWith('/m/'))
		return document(req, res, url);
	if (url.pathname.startsWith('/keys/'))
		return send(res, 200, 'application/jwk-set+json', jwks, { 'Cache-Control': 'max-age=600' });
	if (url.pathname === '/assertion')
		return send(res, 200, 'text/plain', assertion(q.get('client_id'), q.get('aud')));
	switch (url.pathname) {
	case '/set':
		docs.set(q.get('name'), Object.fromEntries([...q].filter(([k]) => k !== 'name')));
		return send(res, 200, json, '{}');
	case '/ok.json':
		return send(res, 200, json, '{"ok":true}', { ETag: '"v1"', 'Cache-Control': 'max-age=600' });
	case '/jwks':
		return send(res, 200, 'application/jwk-set+json', '{"keys":[]}');
	case '/charset':
		return send(res, 200, 'application/json; charset=utf-8', '{"ok":1}');
	case '/redirect':
		return send(res, 302, json, '{}', { Location: '/ok.json' });
	case '/notfound':
		return send(res, 404, json, '{"error":"not found"}');
	case '/error':
		return send(res, 500, json, '{"error":"oops"}');
	case '/html':
		return send(res, 200, 'text/html', '<p>hi</p>');
	case '/no-type':
		res.writeHead(200, { 'Content-Length': 2 });
		return res.end('{}');
	case '/size': {
		const n = Number(q.get('n'));
		return send(res, 200, json, '"' + 'x'.repeat(n - 2) + '"');
	}
	case '/grow': {
		res.writeHead(200, { 'Content-Type': json });
		let sent = 0;
		const t = setInterval(() => {
			if (sent >= 20000 || res.destroyed) { clearInterval(t); res.end(); return; }
			res.write('x'.repeat(1000));
			sent += 1000;
		}, 10);
		res.on('close', () => clearInterval(t));
		return;
	}
	case '/drip': {
		res.writeHead(200, { 'Content-Type': json });
		const t = setInterval(() => res.write(' '), 200);
		res.on('close', () => clearInterval(t));
		return;
	}
	case '/slow':
		return setTimeout(() => send(res, 200, json, '{"slow":true}'), 600);
	case '/etag':
		if (req.headers['if-none-match'] === '"v1"') {
			res.writeHead(304, { ETag: '"v1"', 'Cache-Control': 'max-age=1000' });
			return res.end();
		}
		return send(res, 200, json, '{"v":1}', { ETag: '"v1"' });
	case '/cache': {
		const h = {};
		if (q.has('cc')) h['Cache-Control'] = q.get('cc');
		if (q.has('expires')) h.Expires = q.get('expires');
		if (q.has('date')) h.Date = q.get('date');
		if (q.has('age')) h.Age = q.get('age');
		return send(res, 200, json, '{}', h);
	}
	case '/hits':
		return send(res, 200, json, JSON.stringify({ hits: hits.get(q.get('path')) || 0 }));
	default:
		return send(res, 404, json, '{}');
	}
}

const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, handle);
const held = [];
const hole = net.createServer((sock) => { held.push(sock); });
server.listen(0, '127.0.0.1', () => {
	hole.listen(0, '127.0.0.1', () => {
		console.log(JSON.stringify({ https: server.address().port, hole: hole.address().port }));
	});
});
