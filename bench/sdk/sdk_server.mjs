// The reference server bench/http.sh measures mcp_oauth against: the MCP
// TypeScript SDK's mcpAuthRouter (rate limits off) with an in-memory
// OAuthServerProvider, and requireBearerAuth in front of a trivial /mcp.
//
//   node sdk_server.mjs --port 3000 [--host 127.0.0.1]
//
// The provider approves every authorization at once (no login page), keeps
// clients, codes, access tokens and refresh tokens in Maps, and rotates the
// refresh token on each use.  Bench hook (for the code-exchange run):
//   POST /__bench/codes?n=N   N codes for the built-in client mcp-agent,
//                             issued like /authorize issues them; text, one
//                             per line
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import express from 'express';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidGrantError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';

const { values: opts } = parseArgs({
	options: {
		host: { type: 'string', default: '127.0.0.1' },
		port: { type: 'string', default: '3000' }
	}
});
const issuer = new URL(`http://${opts.host}:${opts.port}`);
const mcpUrl = new URL('/mcp', issuer);
const SCOPES = ['mcp:tools'];
const CODE_TTL = 300;			// seconds, like mcp_oauth
const ACCESS_TTL = 3600;
const REFRESH_TTL = 30 * 86400;

const now = () => Math.floor(Date.now() / 1000);
const secret = () => randomBytes(32).toString('base64url');

// Registered clients; mcp-agent is the public loopback client both servers know.
class ClientsStore {
	constructor() {
		this.clients = new Map();
	}
	getClient(clientId) {
		return this.clients.get(clientId);
	}
	registerClient(client) {
		const full = { ...client, client_id: randomBytes(16).toString('hex'), client_id_issued_at: now() };
		this.clients.set(full.client_id, full);
		return full;
	}
}

class MemoryProvider {
	constructor() {
		this._clients = new ClientsStore();
		this.codes = new Map();		// code -> { clientId, params, exp }
		this.access = new Map();		// token -> AuthInfo
		this.refresh = new Map();		// token -> { clientId, scopes, resource, exp }
	}
	get clientsStore() {
		return this._clients;
	}

	// A new code for an approved authorization request.
	issueCode(client, params) {
		const code = secret();
		this.codes.set(code, { clientId: client.client_id, params, exp: now() + CODE_TTL });
		return code;
	}

	// Approve at once and send the browser back with the code (no consent page).
	async authorize(client, params, res) {
		const target = new URL(params.redirectUri);
		target.searchParams.set('code', this.issueCode(client, params));
		if (params.state !== undefined) target.searchParams.set('state', params.state);
		target.searchParams.set('iss', issuer.href);
		res.redirect(302, target.href);
	}

	// The live code entry of client, or an invalid_grant error.
	liveCode(client, code) {
		const entry = this.codes.get(code);
		if (!entry || entry.clientId !== client.client_id || entry.exp < now())
			throw new InvalidGrantError('Invalid authorization code');
		return entry;
	}

	async challengeForAuthorizationCode(client, code) {
		return this.liveCode(client, code).params.codeChallenge;
	}

	// Access + refresh token pair; the refresh token is single-use.
	issueTokens(clientId, scopes, resource) {
		const accessToken = secret();
		const refreshToken = secret();
		const expiresAt = now() + ACCESS_TTL;
		this.access.set(accessToken, { token: accessToken, clientId, scopes, expiresAt, resource });
		this.refresh.set(refreshToken, { clientId, scopes, resource, exp: now() + REFRESH_TTL });
		return {
			access_token: accessToken,
			token_type: 'bearer',
			expires_in: ACCESS_TTL,
			scope: scopes.join(' '),
			refresh_token: refreshToken
		};
	}

	async exchangeAuthorizationCode(client, code, _verifier, redirectUri, resource) {
		const entry = this.liveCode(client, code);
		this.codes.delete(code);
		if (redirectUri !== undefined && redirectUri !== entry.params.redirectUri)
			throw new InvalidGrantError('redirect_uri does not match');
		const scopes = entry.params.scopes?.length ? entry.params.scopes : SCOPES;
		return this.issueTokens(client.client_id, scopes, resource ?? entry.params.resource ?? mcpUrl);
	}

	async exchangeRefreshToken(client, refreshToken, scopes, resource) {
		const entry = this.refresh.get(refreshToken);
		if (!entry || entry.clientId !== client.client_id || entry.exp < now())
			throw new InvalidGrantError('Invalid refresh token');
		this.refresh.delete(refreshToken);		// rotation
		const granted = scopes?.length ? scopes.filter(s => entry.scopes.includes(s)) : entry.scopes;
		return this.issueTokens(client.client_id, granted, resource ?? entry.resource);
	}

	async verifyAccessToken(token) {
		const info = this.access.get(token);
		if (!info || info.expiresAt < now()) throw new InvalidTokenError('Invalid or expired token');
		return info;
	}

	async revokeToken(client, request) {
		const entry = this.refresh.get(request.token) ?? this.access.get(request.token);
		if (entry && entry.clientId === client.client_id) {
			this.refresh.delete(request.token);
			this.access.delete(request.token);
		}
	}
}

const provider = new MemoryProvider();
provider.clientsStore.clients.set('mcp-agent', {
	client_id: 'mcp-agent',
	client_name: 'MCP agent',
	redirect_uris: ['http://127.0.0.1:33418/callback'],
	token_endpoint_auth_method: 'none',
	grant_types: ['authorization_code', 'refresh_token'],
	response_types: ['code']
});

const noLimit = { rateLimit: false };
const app = express();
app.disable('x-powered-by');
app.use(mcpAuthRouter({
	provider,
	issuerUrl: issuer,
	resourceServerUrl: mcpUrl,
	scopesSupported: SCOPES,
	authorizationOptions: noLimit,
	clientRegistrationOptions: noLimit,
	revocationOptions: noLimit,
	tokenOptions: noLimit
}));

const bearer = requireBearerAuth({
	verifier: provider,
	requiredScopes: SCOPES,
	expectedResource: mcpUrl,
	resourceMetadataUrl: new URL('/.well-known/oauth-protected-resource/mcp', issuer).href
});
app.post('/mcp', bearer, express.json(), (req, res) => {
	res.json({ jsonrpc: '2.0', id: req.body?.id ?? null, result: {} });
});

app.post('/__bench/codes', (req, res) => {
	const n = Math.min(Number.parseInt(req.query.n, 10) || 1, 1000000);
	const client = provider.clientsStore.getClient('mcp-agent');
	const params = {
		scopes: SCOPES,
		redirectUri: client.redirect_uris[0],
		codeChallenge: String(req.query.code_challenge ?? ''),
		state: 's'
	};
	const codes = new Array(n);
	for (let i = 0; i < n; i++) codes[i] = provider.issueCode(client, params);
	res.type('text/plain').send(codes.join('\n') + '\n');
});

app.listen(Number(opts.port), opts.host, () => {
	console.error(`sdk_server: ${issuer.href} (SDK mcpAuthRouter, in-memory provider)`);
});
