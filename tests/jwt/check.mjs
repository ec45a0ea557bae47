// Independent check of mcp_oauth access tokens with jose: each token must
// verify against the JWKS as an RFC 9068 at+jwt for our issuer and
// audience, and fail when anything is off.  Input (stdin, JSON):
//   {"issuer": "...", "audience": "...", "jwks": {...}, "tokens": [{"alg", "token"}]}
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

const input = JSON.parse(readFileSync(0, 'utf8'));
const jwks = createLocalJWKSet(input.jwks);
const good = { issuer: input.issuer, audience: input.audience, typ: 'at+jwt',
	algorithms: ['ES256', 'EdDSA'] };
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
	if (ok) passed++;
	else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

// Whether verification with these options fails with the given jose error code.
async function refused(token, options, code) {
	try {
		await jwtVerify(token, jwks, options);
		return false;
	} catch (e) {
		return !code || e.code === code;
	}
}

// A token with one character of its signature changed.
function tamper(token) {
	const [h, p, s] = token.split('.');
	const i = 10;
	return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

check('jwks has keys', Array.isArray(input.jwks.keys) && input.jwks.keys.length >= 2,
	  `${input.jwks.keys?.length} keys`);
for (const k of input.jwks.keys ?? [])
	check(`jwk ${k.kid} has no private part`, k.d === undefined);

for (const { alg, token } of input.tokens) {
	const header = decodeProtectedHeader(token);
	check(`${alg}: header alg`, header.alg === alg, header.alg);
	check(`${alg}: header typ`, header.typ === 'at+jwt', header.typ);
	check(`${alg}: kid in JWKS`, input.jwks.keys.some((k) => k.kid === header.kid && k.alg === alg));
	try {
		const { payload } = await jwtVerify(token, jwks, good);
		check(`${alg}: iss`, payload.iss === input.issuer, payload.iss);
		check(`${alg}: aud`, payload.aud === input.audience || payload.aud?.includes?.(input.audience));
		check(`${alg}: exp after iat`, payload.exp > payload.iat, `${payload.exp} ${payload.iat}`);
		check(`${alg}: lifetime`, payload.exp - payload.iat <= 86400);
		check(`${alg}: sub, client_id, jti, scope`,
			  typeof payload.sub === 'string' && typeof payload.client_id === 'string' &&
			  /^[0-9a-f-]{36}$/.test(payload.jti) && typeof payload.scope === 'string');
		check(`${alg}: expired later`, await refused(token,
			{ ...good, currentDate: new Date((payload.exp + 1) * 1000) }, 'ERR_JWT_EXPIRED'));
	} catch (e) {
		check(`${alg}: verifies`, false, `${e.code} ${e.message}`);
	}
	check(`${alg}: wrong issuer`, await refused(token, { ...good, issuer: input.issuer + '/' },
		'ERR_JWT_CLAIM_VALIDATION_FAILED'));
	check(`${alg}: wrong audience`, await refused(token, { ...good, audience: 'https://other.example' },
		'ERR_JWT_CLAIM_VALIDATION_FAILED'));
	check(`${alg}: wrong typ`, await refused(token, { ...good, typ: 'JWT' },
		'ERR_JWT_CLAIM_VALIDATION_FAILED'));
	check(`${alg}: tampered signature`, await refused(tamper(token), good,
		'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));
	check(`${alg}: alg not allowed`, await refused(token,
		{ ...good, algorithms: [alg === 'ES256' ? 'EdDSA' : 'ES256'] }));
}

console.log(`jwt: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
