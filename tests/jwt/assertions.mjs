// private_key_jwt client authentication (RFC 7523) with assertions that jose
// signs: RS256, PS256, ES256 and EdDSA keys of clients registered inline
// (clients.jwks) and at a jwks_uri (fetched_documents, the need-fetch
// protocol), through mcp_oauth.token(), revoke() and introspect() in psql.
// Run by run.sh with the database name as argument (PGHOST, PGPORT, PGUSER
// of the test cluster in the environment).  Ends with "assertions: N
// passed, M failed".
import { spawnSync } from 'node:child_process';
import { createHash, createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';

const db = process.argv[2];
const issuer = 'https://as.jwt-check.example';
const tokenUrl = `${issuer}/token`;
const audience = 'https://mcp.jwt-check.example/mcp';
const redirect = 'http://127.0.0.1:5555/cb';
const jwksUri = 'https://client.jwt-check.example/jwks.json';
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
	if (ok) passed++;
	else { failed++; console.log(`FAIL ${name}${detail !== undefined ? ': ' + JSON.stringify(detail) : ''}`); }
}

// Run SQL (psql variables given as vars) in the test database; its output rows.
function sql(text, vars = {}) {
	const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', db];
	for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
	const r = spawnSync('psql', args, { input: text, encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
	return r.stdout.trim();
}

// Call an endpoint with a form body: {status, body (parsed JSON or text), reason}.
function call(endpoint, body) {
	const out = sql(`SELECT jwt_check_call(:'endpoint', :'body');`, { endpoint, body });
	const r = JSON.parse(out);
	try { r.json = JSON.parse(r.body); } catch { r.json = null; }
	return r;
}

const now = () => Math.floor(Date.now() / 1000);

// A signed assertion of client for the token endpoint, claims overridden by
// extra (a member set to undefined is left out).
async function assertion(key, alg, kid, client, extra = {}) {
	const claims = { iss: client, sub: client, aud: tokenUrl, exp: now() + 120,
		iat: now(), jti: randomUUID(), ...extra };
	for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
	const header = { alg };
	if (kid) header.kid = kid;
	return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

const form = (a) => 'client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
	+ `&client_assertion=${a}`;

// A client registered with private_key_jwt and its keys (inline or at a URL).
function client(id, jwks, uri) {
	sql(`SELECT 1 FROM mcp_oauth.create_client(:'id', ARRAY[:'redirect'], client_id => :'id');
		 UPDATE mcp_oauth.clients SET token_endpoint_auth_method = 'private_key_jwt',
			jwks = nullif(:'jwks', '')::jsonb, jwks_uri = nullif(:'uri', '') WHERE client_id = :'id';`,
		{ id, redirect, jwks: jwks ? JSON.stringify(jwks) : '', uri: uri ?? '' });
}

// A code for client through authorize and consent; [code, verifier].
function code(clientId) {
	const verifier = `verifier-${randomUUID()}-${randomUUID()}`;
	const challenge = createHash('sha256').update(verifier).digest('base64url');
	const location = sql(`SELECT (mcp_oauth.authorize_decision((mcp_oauth.authorize(
		'response_type=code&client_id=' || :'id' || '&redirect_uri=' || :'redirect'
		|| '&code_challenge=' || :'challenge' || '&code_challenge_method=S256&scope=mcp:tools'
		|| '&resource=' || :'audience', '127.0.0.1')).body::json->>'request_id',
		'pkjwt-user', true, NULL, '127.0.0.1')).location;`,
		{ id: clientId, redirect, challenge, audience });
	return [new URL(location).searchParams.get('code'), verifier];
}

// The form of an authorization_code grant.
const codeGrant = ([c, v]) => `grant_type=authorization_code&code=${c}&redirect_uri=${redirect}`
	+ `&code_verifier=${v}&resource=${audience}`;

// 1. Each algorithm: the code grant, a refresh, a replayed jti, introspect, revoke
async function perAlgorithm(alg, options) {
	const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
	const id = `pk-${alg.toLowerCase()}`;
	const kid = `${id}-1`;
	client(id, { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig' }] });

	let r = call('token', `${codeGrant(code(id))}&${form(await assertion(privateKey, alg, kid, id))}`);
	check(`${alg}: authorization_code grant`, r.status === 200 && r.json?.refresh_token, r);
	const refresh = r.json?.refresh_token;
	const a = await assertion(privateKey, alg, kid, id);
	r = call('token', `grant_type=refresh_token&refresh_token=${refresh}&${form(a)}`);
	check(`${alg}: refresh_token grant`, r.status === 200 && r.json?.access_token, r);
	const next = r.json?.refresh_token;
	r = call('token', `grant_type=refresh_token&refresh_token=${next}&${form(a)}`);
	check(`${alg}: replayed jti`, r.status === 401 && r.reason === 'replayed_jti', r);
	r = call('introspect', `token=${next}&${form(await assertion(privateKey, alg, kid, id,
		{ aud: `${issuer}/introspect` }))}`);
	check(`${alg}: introspect (confidential by its key)`, r.status === 200 && r.json?.active === true, r);
	r = call('revoke', `token=${next}&${form(await assertion(privateKey, alg, undefined, id,
		{ aud: issuer }))}`);
	check(`${alg}: revoke, no kid, aud the issuer`, r.status === 200, r);
	return { privateKey, publicKey, id, kid };
}

// A private_key_jwt client allowed to introspect others' tokens (a resource server)
async function resourceServer(es, rs) {
	const access = call('token', `${codeGrant(code(rs.id))}&${form(await assertion(rs.privateKey,
		'RS256', rs.kid, rs.id))}`).json?.access_token;
	const body = async () => `token=${access}&${form(await assertion(es.privateKey, 'ES256', es.kid, es.id,
		{ aud: `${issuer}/introspect` }))}`;
	let r = call('introspect', await body());
	check('another client\'s access token, not allowed', r.status === 200 && r.json?.active === false, r);
	sql(`SELECT mcp_oauth.set_client_introspection(:'id', true);`, { id: es.id });
	r = call('introspect', await body());
	check('another client\'s access token, allowed', r.status === 200 && r.json?.active === true
		&& r.json?.client_id === rs.id, r);
}

// 2. What is refused, with an RS256 client
async function refusals(rs, es) {
	const { privateKey, publicKey, id, kid } = rs;
	const refreshOf = () => 'grant_type=refresh_token&refresh_token=mcp_rt_unknown&';
	const refused = async (name, body, reason) => {
		const r = call('token', body);
		check(name, r.status === 401 && r.json?.error === 'invalid_client' && r.reason === reason, r);
	};
	const sign = (extra, k = privateKey, a = 'RS256', kd = kid) => assertion(k, a, kd, id, extra);

	await refused('expired', refreshOf() + form(await sign({ exp: now() - 5 })), 'expired');
	await refused('exp an hour ahead', refreshOf() + form(await sign({ exp: now() + 3600 })),
		'exp_too_far_ahead');
	await refused('no exp', refreshOf() + form(await sign({ exp: undefined })), 'no_exp');
	await refused('no jti', refreshOf() + form(await sign({ jti: undefined })), 'no_jti');
	await refused('wrong aud', refreshOf() + form(await sign({ aud: 'https://other.example/token' })),
		'wrong_aud');
	await refused('wrong iss', refreshOf() + form(await sign({ iss: es.id })), 'wrong_iss');
	await refused('wrong sub (another client: its iss differs)',
		refreshOf() + form(await sign({ sub: es.id })), 'wrong_iss');
	await refused('no sub, client_id parameter', `${refreshOf()}client_id=${id}&`
		+ form(await sign({ sub: undefined })), 'wrong_sub');
	await refused('client_id parameter of another client', `${refreshOf()}client_id=${es.id}&`
		+ form(await sign({})), 'client_id_mismatch');
	const other = (await generateKeyPair('RS256', { extractable: true })).privateKey;
	await refused('signed by another key, same kid', refreshOf() + form(await sign({}, other)),
		'bad_signature');

	// alg none, and HS256 keyed with the RSA public key (the classic confusion)
	const claims = { iss: id, sub: id, aud: tokenUrl, exp: now() + 60, jti: randomUUID() };
	const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.`
		+ `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
	// unsigned (RFC 7519 section 6.1: no signature): not even a JWS we read
	await refused('alg none, unsigned', `${refreshOf()}client_id=${id}&${form(none)}`,
		'malformed_assertion');
	await refused('alg none, with a signature', `${refreshOf()}client_id=${id}&${form(none + 'AAAA')}`,
		'unsupported_alg');
	const pem = new TextEncoder().encode(await exportSPKI(publicKey));
	const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(pem);
	await refused('HS256 keyed with the public key', `${refreshOf()}client_id=${id}&${form(hs)}`,
		'unsupported_alg');

	// the client may not use another method, nor another client this one
	let r = call('token', `${refreshOf()}client_id=${id}&client_secret=guess`);
	check('private_key_jwt client with a client_secret', r.status === 401 && r.reason === 'method_not_registered', r);
	r = call('token', `${refreshOf()}client_id=${id}`);
	check('private_key_jwt client without authentication', r.status === 401 && r.reason === 'method_not_registered', r);
	sql(`SELECT 1 FROM mcp_oauth.create_client('pk public', ARRAY[:'redirect'], client_id => 'pk-public');`,
		{ redirect });
	r = call('token', refreshOf() + form(await assertion(privateKey, 'RS256', kid, 'pk-public')));
	check('public client with an assertion', r.status === 401 && r.reason === 'method_not_registered', r);

	// an RSA key under 2048 bits: left out of the set, and its signature refused
	const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
	client('pk-weak', { keys: [{ ...weak.publicKey.export({ format: 'jwk' }), kid: 'w' }] });
	const body = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'w' })).toString('base64url') + '.'
		+ Buffer.from(JSON.stringify({ ...claims, iss: 'pk-weak', sub: 'pk-weak' })).toString('base64url');
	const weakJws = `${body}.${createSign('RSA-SHA256').update(body).sign(weak.privateKey).toString('base64url')}`;
	await refused('RSA key of 1024 bits', refreshOf() + form(weakJws), 'no_usable_key');
}

// 3. Keys at a jwks_uri: fetched once, an unknown kid refetches once a minute at most
async function atUri() {
	const id = 'pk-uri';
	const a = await generateKeyPair('RS256', { extractable: true });
	const b = await generateKeyPair('ES256', { extractable: true });
	const setA = { keys: [{ ...(await exportJWK(a.publicKey)), kid: 'a' }] };
	const setAB = { keys: [...setA.keys, { ...(await exportJWK(b.publicKey)), kid: 'b' }] };
	const fetched = (set, etag) => sql(`SELECT mcp_oauth.fetched(:'uri', 'jwks', 'ok', 200, :'body',
		:'etag', 300, NULL, '127.0.0.1');`, { uri: jwksUri, body: JSON.stringify(set), etag });
	client(id, null, jwksUri);
	const tokenWith = async (key, alg, kid) => call('token', codeGrant(code(id)) + '&'
		+ form(await assertion(key, alg, kid, id)));

	let r = await tokenWith(a.privateKey, 'RS256', 'a');
	check('jwks_uri: first use asks for the set', r.status === 0 && r.json?.url === jwksUri
		&& r.json?.purpose === 'jwks' && r.json?.max_body === 65536 && r.json?.refuse_ip_literal === false, r);
	check('jwks_uri: stored', fetched(setA, '"1"') === 'stored');
	r = await tokenWith(a.privateKey, 'RS256', 'a');
	check('jwks_uri: the fetched key verifies', r.status === 200 && r.json?.access_token, r);

	// the client rotates key b in: fetched just now, so no refetch yet
	r = await tokenWith(b.privateKey, 'ES256', 'b');
	check('rotated key, set fetched under a minute ago: no refetch', r.status === 401 && r.reason === 'unknown_key', r);
	sql(`UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '61 seconds' WHERE url = :'uri';`,
		{ uri: jwksUri });
	r = await tokenWith(b.privateKey, 'ES256', 'b');
	check('rotated key, a minute later: one refetch (If-None-Match)', r.status === 0
		&& r.json?.if_none_match === '"1"', r);
	check('rotated set stored', fetched(setAB, '"2"') === 'stored');
	r = await tokenWith(b.privateKey, 'ES256', 'b');
	check('rotated key verifies', r.status === 200 && r.json?.access_token, r);
	r = await tokenWith(b.privateKey, 'ES256', 'c');
	check('unknown kid right after the refetch: refused, no second fetch', r.status === 401 && r.reason === 'unknown_key', r);
}

sql(`CREATE FUNCTION jwt_check_call(endpoint text, body text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	before bigint := (SELECT coalesce(max(audit_id), 0) FROM mcp_oauth.audit_log);
	r mcp_oauth.http_response;
BEGIN
	EXECUTE format('SELECT * FROM mcp_oauth.%I($1, NULL, $2, ''127.0.0.1'')', endpoint)
		INTO r USING 'application/x-www-form-urlencoded', body;
	RETURN json_build_object('status', r.status, 'body', r.body,
		'reason', (SELECT detail->>'reason' FROM mcp_oauth.audit_log
				   WHERE audit_id > before AND event = 'client_auth_failed'));
END $$;`);

try {
	const rs = await perAlgorithm('RS256', { modulusLength: 2048 });
	await perAlgorithm('PS256', { modulusLength: 3072 });
	const es = await perAlgorithm('ES256');
	await perAlgorithm('EdDSA');
	await resourceServer(es, rs);
	await refusals(rs, es);
	await atUri();
	const jtis = sql(`SELECT count(*) FROM mcp_oauth.client_assertion_jtis WHERE expires_at > now();`);
	// 4 accepted per algorithm, 3 for the resource server, 2 at the jwks_uri
	check('accepted jtis are kept until they expire', jtis === '21', jtis);
	const leaked = sql(`SELECT count(*) FROM mcp_oauth.audit_log WHERE detail::text LIKE '%eyJ%';`);
	check('no assertion in the audit log', leaked === '0', leaked);
} catch (e) {
	check('assertions ran', false, e.stack);
}
console.log(`assertions: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
