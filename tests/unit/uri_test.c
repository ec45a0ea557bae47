/*
 * uri_test.c
 *		Unit tests of lib/uri.c: redirect policy, loopback matching,
 *		resource canonicalisation, display host, query appending.
 */
#include "lib/uri.h"

#include "unit.h"

typedef struct policy_case
{
	const char *uri;
	int			allowed;
} policy_case;

static const policy_case policy[] = {
	/* https */
	{"https://client.example.com/cb", 1},
	{"https://client.example.com", 1},
	{"https://client.example.com:8443/cb?x=1&y=2", 1},
	{"HTTPS://Client.Example.COM/cb", 1},
	{"https://192.0.2.1/cb", 1},
	{"https://[2001:db8::1]:443/cb", 1},
	{"https://client.example.com/a%20b", 1},
	{"https://client.example.com/cb#", 0},
	{"https://client.example.com/cb#frag", 0},
	{"https://client.example.com/cb?x=1#f", 0},
	{"https://*.example.com/cb", 0},
	{"https://client.example.com/*", 0},
	{"https://client.example.com/cb?x=*", 0},
	{"https://user@client.example.com/cb", 0},
	{"https://user:pw@client.example.com/cb", 0},
	{"https://@client.example.com/cb", 0},
	{"https://good.example@evil.example/cb", 0},
	{"https://", 0},
	{"https:///cb", 0},
	{"https:/cb", 0},
	{"https:cb", 0},
	{"https://client.example.com:0/cb", 0},
	{"https://client.example.com:65536/cb", 0},
	{"https://client.example.com:99999999999999999999/cb", 0},
	{"https://client.example.com:/cb", 0},
	{"https://client.example.com:08/cb", 0},
	{"https://client.example.com:8a/cb", 0},
	{"https://client.example.com:65535/cb", 1},
	{"https://client.example.com/c b", 0},
	{"https://client.example.com/cb\t", 0},
	{"https://client.example.com/cb\r\nX: y", 0},
	{"https://client.example.com/\x7f", 0},
	{"https://client.example.com/caf\xc3\xa9", 0},
	{"https://client.example.com\\@evil.example/", 0},
	{"https://client.example.com/a\"b", 0},
	{"https://client.example.com/<script>", 0},
	{"https://client.example.com/%00", 0},
	{"https://client.example.com/%zz", 0},
	{"https://client.example.com/%4", 0},
	{"https://cli%65nt.example.com/cb", 0},
	{"https://client_example.com/cb", 0},
	{"https://[::1/cb", 0},
	{"https://[::1]x/cb", 0},
	{"https://[fe80::1%25eth0]/cb", 0},
	{"https://[v1.fe]/cb", 0},
	{"https://[zz::1]/cb", 0},
	{"https://ex]ample.com/cb", 0},
	{"https://example.com/a[0]", 0},
	/* http: loopback only */
	{"http://localhost:1234/cb", 1},
	{"http://localhost/cb", 1},
	{"http://LOCALHOST:1234/cb", 1},
	{"HTTP://localhost/cb", 1},
	{"http://127.0.0.1/cb", 1},
	{"http://127.0.0.1:65535/cb", 1},
	{"http://[::1]:9/x", 1},
	{"http://[::1]/x", 1},
	{"http://localhost", 1},
	{"http://example.com/cb", 0},
	{"http://localhost.example.com/cb", 0},
	{"http://localhost./cb", 0},
	{"http://127.0.0.2/cb", 0},
	{"http://127.1/cb", 0},
	{"http://0.0.0.0/cb", 0},
	{"http://[::2]/cb", 0},
	{"http://[::ffff:127.0.0.1]/cb", 0},
	{"http://localhost@evil.example/cb", 0},
	{"http://evil.example@localhost/cb", 0},
	{"http://localhost:0/cb", 0},
	{"http://localhost:70000/cb", 0},
	{"http://localhost/cb#x", 0},
	{"http:/localhost/cb", 0},
	/* private-use schemes of native apps */
	{"cursor://anysphere.cursor-retrieval/oauth/callback", 1},
	/* Cursor's per-server form (issue 14): user-<server name from mcp.json> */
	{"cursor://anysphere.cursor-retrieval/oauth/user-demo/callback", 1},
	{"cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback", 1},
	{"cursor://anysphere.cursor-retrieval/oauth/user-my%20server/callback", 1},
	{"cursor://anysphere.cursor-retrieval/oauth/user-my server/callback", 0},
	{"vscode://vscode.github-authentication/did-authenticate", 1},
	{"com.example.app:/cb", 1},
	{"com.example.app:/oauth2redirect?x=1", 1},
	{"myapp://callback", 1},
	{"cursor://anysphere.cursor-mcp/oauth/callback", 1},
	{"CURSOR://anysphere.cursor-mcp/oauth/callback", 1},
	{"abc://host/cb", 1},
	{"com.example.app:///cb", 1},
	{"io.github.my-tool:/cb", 1},
	{"x-my-app.example:/cb", 1},
	{"x-my-app+1.2:/cb", 0},
	{"myapp:/cb", 0},
	{"myapp:///cb", 0},
	{"myapp://", 0},
	{"ab://host/cb", 0},
	{"c://host/cb", 0},
	{"x:y", 0},
	{"com.example.app://", 0},
	{"com..example:/cb", 0},
	{"com.-example:/cb", 0},
	{"com.example-:/cb", 0},
	{"com.example.:/cb", 0},
	{"com.example.app:", 0},
	{"com.example.app:/cb#x", 0},
	{"myapp://user@host/cb", 0},
	{"myapp://*", 0},
	{"1app:/cb", 0},
	{"-app:/cb", 0},
	{"my_app:/cb", 0},
	/* dangerous schemes, any case */
	{"javascript:alert(1)", 0},
	{"JavaScript:alert(1)", 0},
	{"JAVASCRIPT://%0aalert(1)", 0},
	{"data:text/html,hi", 0},
	{"file:///etc/passwd", 0},
	{"vbscript:msgbox", 0},
	{"blob:https://x/1", 0},
	{"about:blank", 0},
	{"ftp://example.com/cb", 0},
	{"ws://localhost/cb", 0},
	{"wss://example.com/cb", 0},
	{"view-source:https://x/", 0},
	/* schemes the browser or the system handles: never an app's own */
	{"mailto:victim@example.com", 0},
	{"mailto://host/x", 0},
	{"MailTo://host/x", 0},
	{"tel:+15555550100", 0},
	{"sms://host/x", 0},
	{"ms-settings:privacy", 0},
	{"ms-word://host/x", 0},
	{"search-ms://host/x", 0},
	{"microsoft-edge://host/x", 0},
	{"chrome://settings/x", 0},
	{"chrome-extension://abcdef/cb", 0},
	{"moz-extension://abcdef/cb", 0},
	{"safari-web-extension://abcdef/cb", 0},
	{"http+unix://%2Fvar%2Frun%2Fdocker.sock/cb", 0},
	{"web+app://host/cb", 0},
	{"x-apple.systempreferences:com.apple.x", 0},
	{"intent://host/cb", 0},
	{"itms-services://host/cb", 0},
	{"webcal://host/cb", 0},
	{"steam://host/cb", 0},
	{"ssh://host/cb", 0},
	/* handlers the first list missed, and their families (issue 12, B) */
	{"itms-appss://apps.apple.com/app/id1", 0},
	{"itms-beta://host/cb", 0},
	{"itmss://host/cb", 0},
	{"macappstores://host/cb", 0},
	{"googlechrome://evil.example/cb", 0},
	{"googlechromes://evil.example/cb", 0},
	{"GoogleChrome://evil.example/cb", 0},
	{"firefox://open-url/cb", 0},
	{"firefox-focus://open-url/cb", 0},
	{"x-safari-https://evil.example/cb", 0},
	{"ddgquicklink://evil.example/cb", 0},
	{"shortcuts://run-shortcut/cb", 0},
	{"workflow://run-workflow/cb", 0},
	{"x-web-search://host/cb", 0},
	{"x-man-page://host/cb", 0},
	{"prefs://host/cb", 0},
	{"zoommtg://zoom.us/join", 0},
	{"zoomus://zoom.us/join", 0},
	{"msteams://teams.microsoft.com/l/meetup-join/x", 0},
	{"skype://host/cb", 0},
	{"lync15://host/cb", 0},
	{"webex://host/cb", 0},
	{"whatsapp://send/cb", 0},
	{"facetime-audio://host/cb", 0},
	{"git://evil.example/repo", 0},
	{"svn://evil.example/repo", 0},
	{"x-github-client://openRepo/cb", 0},
	{"smb://evil.example/share", 0},
	{"dav://evil.example/cb", 0},
	{"afp://evil.example/cb", 0},
	{"rdp://evil.example/cb", 0},
	{"vnc://evil.example/cb", 0},
	{"teamviewer10://host/cb", 0},
	{"apt://host/cb", 0},
	{"appstream://host/cb", 0},
	{"windowsdefender://host/cb", 0},
	{"windows-feedback://host/cb", 0},
	{"read://evil.example/cb", 0},
	/* a reverse domain name in a platform vendor's namespace */
	{"microsoft.windows.camera:/cb", 0},
	{"microsoft.windows.camera://host/cb", 0},
	{"Microsoft.Windows.Camera:/cb", 0},
	{"windows.immersivecontrolpanel:/cb", 0},
	{"com.microsoft.teams:/cb", 0},
	{"com.apple.preferences:/cb", 0},
	{"apple.music:/cb", 0},
	{"com.google.android.apps.maps:/cb", 0},
	{"com.google.chrome.ios:/cb", 0},
	{"com.android.settings:/cb", 0},
	{"google://host/cb", 0},
	{"org.mozilla.firefox:/cb", 0},
	/* near them, but an app's own */
	{"com.googleusercontent.apps.123-abc:/oauth2redirect", 1},
	{"com.microsoftx.app:/cb", 1},
	{"com.applesoft.app:/cb", 1},
	{"org.mozillafan.app:/cb", 1},
	{"io.example.microsoft:/cb", 1},
	{"zed://host/cb", 1},
	{"slack://host/cb", 1},
	{"gitbutler://host/cb", 1},
	{"msauth.com.example.app://auth", 1},
	/* a query naming an authorization response parameter, any client */
	{"https://client.example.com/cb?code=x", 0},
	{"https://client.example.com/cb?state=x", 0},
	{"https://client.example.com/cb?a=1&iss=x", 0},
	{"https://client.example.com/cb?error=x", 0},
	{"https://client.example.com/cb?error_description=x", 0},
	{"https://client.example.com/cb?error_uri=x", 0},
	{"https://client.example.com/cb?code", 0},
	{"https://client.example.com/cb?x&code=", 0},
	{"https://client.example.com/cb?Code=x", 0},
	{"https://client.example.com/cb?c%6Fde=x", 0},
	{"https://client.example.com/cb?%43ODE=x", 0},
	{"http://localhost:5000/cb?iss=x", 0},
	{"com.example.app:/cb?state=x", 0},
	{"https://client.example.com/cb?codes=1&x=code&mode=state&iss_=1", 1},
	{"https://client.example.com/cb?co%64=x", 1},
	{"https://client.example.com/cb?&&=&a", 1},
	{"https://client.example.com/cb?", 1},
	/* ';' separates parameters too, for older parsers (issue 12, A) */
	{"https://c.example/cb?x=1;code=evil", 0},
	{"https://c.example/cb?x=1;state=s", 0},
	{"https://c.example/cb?a=1&b=2;iss=https://evil.example", 0},
	{"https://c.example/cb?;error=x", 0},
	{"https://c.example/cb?x;C%6Fde", 0},
	{"http://localhost:5000/cb?x=1;iss=x", 0},
	{"com.example.app:/cb?x=1;state=x", 0},
	{"https://c.example/cb?x=1;y=2", 1},
	{"https://c.example/cb?x=a;codes=1;decode=2", 1},
	{"https://c.example/cb?x=1%3Bcode=evil", 1},
	{"https://c.example/cb?x=1%26code=evil", 1},
	{"https://c.example/cb?;;", 1},
	/* relative and empty */
	{"/cb", 0},
	{"cb", 0},
	{"//client.example.com/cb", 0},
	{"?x=1", 0},
	{"", 0},
	{" https://client.example.com/cb", 0},
	{":/cb", 0},
};

/* The redirect policy table, and that every refusal has a reason. */
static void
test_policy(void)
{
	size_t		i;

	for (i = 0; i < NELEM(policy); i++)
	{
		const char *why = uri_redirect_problem(policy[i].uri);

		CHECK((why == NULL) == policy[i].allowed, "policy #%zu %s: %s",
			  i, policy[i].uri, why ? why : "allowed");
		if (why)
			CHECK(why[0] != '\0' && why[strlen(why) - 1] != '.',
				  "policy #%zu reason shape", i);
	}
	CHECK(uri_redirect_problem(NULL) != NULL, "NULL refused");
}

/* Overlong URIs are refused, URI_MAX_LEN itself is fine. */
static void
test_long(void)
{
	char	   *u = malloc(URI_MAX_LEN + 100);
	const char *pre = "https://client.example.com/";
	size_t		plen = strlen(pre);

	memcpy(u, pre, plen);
	memset(u + plen, 'a', URI_MAX_LEN - plen);
	u[URI_MAX_LEN] = '\0';
	CHECK(uri_redirect_problem(u) == NULL, "exactly URI_MAX_LEN allowed");
	memset(u + plen, 'a', URI_MAX_LEN + 1 - plen);
	u[URI_MAX_LEN + 1] = '\0';
	CHECK(uri_redirect_problem(u) != NULL, "URI_MAX_LEN + 1 refused");
	CHECK(!uri_redirect_matches(u, u) || uri_redirect_problem(u) != NULL,
		  "long URI");
	free(u);
}

typedef struct class_case
{
	const char *uri;
	int			loopback;
	int			private_scheme;
} class_case;

static const class_case classes[] = {
	{"http://localhost:1234/cb", 1, 0},
	{"http://127.0.0.1/cb", 1, 0},
	{"http://[::1]:9/x", 1, 0},
	{"HTTP://LocalHost/cb", 1, 0},
	{"https://localhost/cb", 0, 0},
	{"http://example.com/cb", 0, 0},
	{"http://user@localhost/cb", 0, 0},
	{"http://localhost:99999/cb", 0, 0},
	{"cursor://anysphere.cursor-retrieval/oauth/callback", 0, 1},
	{"com.example.app:/cb", 0, 1},
	{"javascript:alert(1)", 0, 0},
	{"data:x", 0, 0},
	{"/relative", 0, 0},
	{"", 0, 0},
	{"my app:/cb", 0, 0},
	{"myapp:/cb", 0, 0},
	{"mailto://host/x", 0, 0},
	{"chrome-extension://abc/cb", 0, 0},
	{"vscode://vscode.github-authentication/did-authenticate", 0, 1},
	{"cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback", 0, 1},
	{"http://localhost/callback", 1, 0},
	{"http://[::1]/callback", 1, 0},
	{"http://[0:0:0:0:0:0:0:1]/callback", 0, 0},
};

/* uri_is_loopback and uri_is_private_scheme. */
static void
test_classes(void)
{
	size_t		i;

	for (i = 0; i < NELEM(classes); i++)
	{
		CHECK(uri_is_loopback(classes[i].uri) == classes[i].loopback,
			  "loopback #%zu %s", i, classes[i].uri);
		CHECK(uri_is_private_scheme(classes[i].uri) == classes[i].private_scheme,
			  "private #%zu %s", i, classes[i].uri);
	}
	CHECK(!uri_is_loopback(NULL) && !uri_is_private_scheme(NULL), "NULL");
}

typedef struct match_case
{
	const char *registered;
	const char *presented;
	int			matches;
} match_case;

static const match_case matches[] = {
	{"https://c.example/cb", "https://c.example/cb", 1},
	{"https://c.example/cb", "https://c.example/cb/", 0},
	{"https://c.example/cb", "https://C.example/cb", 0},
	{"https://c.example/cb", "HTTPS://c.example/cb", 0},
	{"https://c.example/cb", "https://c.example:443/cb", 0},
	{"https://c.example:8443/cb", "https://c.example:9443/cb", 0},
	{"https://c.example/cb", "https://c.example/cb?x=1", 0},
	{"https://c.example/cb", "https://c.example/cb#x", 0},
	{"https://c.example/cb", "https://c.example/CB", 0},
	{"https://c.example/cb", "https://c.example/%63b", 0},
	{"https://c.example/cb", "", 0},
	/* RFC 8252 section 7.3: loopback ports vary */
	{"http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", 1},
	{"http://127.0.0.1:8080/cb", "http://127.0.0.1:51234/cb", 1},
	{"http://127.0.0.1:8080/cb", "http://127.0.0.1/cb", 1},
	{"http://localhost:1234/cb", "http://localhost:4321/cb", 1},
	{"http://[::1]/cb", "http://[::1]:9/cb", 1},
	{"http://localhost/cb?a=1", "http://localhost:5000/cb?a=1", 1},
	{"http://localhost/cb?a=1", "http://localhost:5000/cb?a=2", 0},
	{"http://localhost/cb?a=1", "http://localhost:5000/cb", 0},
	{"http://localhost/cb", "http://localhost:5000/cb?", 0},
	{"http://localhost/cb", "http://localhost:5000/cb?x=1", 0},
	{"http://localhost/cb", "http://localhost:5000/cb/", 0},
	{"http://localhost/cb", "http://localhost:5000/other", 0},
	{"http://localhost/cb", "http://localhost:5000/cb#f", 0},
	{"http://localhost/cb", "http://127.0.0.1:5000/cb", 0},
	{"http://127.0.0.1/cb", "http://[::1]:5000/cb", 0},
	{"http://localhost/cb", "http://LOCALHOST:5000/cb", 0},
	{"http://localhost/cb", "HTTP://localhost:5000/cb", 0},
	{"http://localhost/cb", "https://localhost:5000/cb", 0},
	{"http://localhost/cb", "http://localhost:0/cb", 0},
	{"http://localhost/cb", "http://localhost:65536/cb", 0},
	{"http://localhost/cb", "http://localhost:/cb", 0},
	{"http://localhost/cb", "http://u@localhost:5000/cb", 0},
	{"http://localhost/cb", "http://localhost:5000/cb\r\n", 0},
	{"http://localhost/*", "http://localhost:5000/*", 0},
	/*
	 * Issue 14: as clients publish them.  Claude Code's portless
	 * localhost and 127.0.0.1 URIs take its ephemeral port; each host
	 * matches only itself; a registered port varies too (OAuth 2.1
	 * section 2.3.1 excepts the port, whatever was registered).
	 */
	{"http://localhost/callback", "http://localhost:54321/callback", 1},
	{"http://localhost/callback", "http://localhost/callback", 1},
	{"http://127.0.0.1/callback", "http://127.0.0.1:1/callback", 1},
	{"http://127.0.0.1/callback", "http://127.0.0.1:65535/callback", 1},
	{"http://[::1]/callback", "http://[::1]:61023/callback", 1},
	{"http://localhost:33418/callback", "http://localhost:54321/callback", 1},
	{"http://localhost:33418/callback", "http://localhost/callback", 1},
	{"http://localhost:80/callback", "http://localhost:8080/callback", 1},
	{"http://localhost", "http://localhost:5000", 1},
	{"http://localhost/callback", "http://127.0.0.1:54321/callback", 0},
	{"http://127.0.0.1/callback", "http://localhost:54321/callback", 0},
	{"http://[::1]/callback", "http://localhost:54321/callback", 0},
	{"http://[::1]/callback", "http://127.0.0.1:54321/callback", 0},
	{"http://127.0.0.1/callback", "http://127.0.0.2:54321/callback", 0},
	{"http://[::1]/callback", "http://[0:0:0:0:0:0:0:1]:54321/callback", 0},
	{"http://[::1]/callback", "http://[::ffff:127.0.0.1]:54321/callback", 0},
	{"http://localhost/callback", "http://localhost.:54321/callback", 0},
	{"http://localhost/callback", "http://localhost.example.com:54321/callback", 0},
	{"http://LOCALHOST/callback", "http://LOCALHOST:54321/callback", 1},
	{"http://LOCALHOST/callback", "http://localhost:54321/callback", 0},
	{"http://localhost", "http://localhost:5000/", 0},
	{"http://localhost/", "http://localhost:5000", 0},
	{"http://localhost/callback", "http://localhost:54321/Callback", 0},
	{"http://localhost/callback", "http://localhost:54321/callback/x", 0},
	{"http://localhost/callback", "http://localhost:54321/callbac", 0},
	{"http://localhost/callback", "http://localhost:54321/%63allback", 0},
	{"http://localhost/callback", "http://localhost:54321//callback", 0},
	{"http://localhost/cb?a=1&b=2", "http://localhost:5/cb?a=1&b=2", 1},
	{"http://localhost/cb?a=1&b=2", "http://localhost:5/cb?b=2&a=1", 0},
	{"http://localhost/cb?a=1", "http://localhost:5/cb?a=1&", 0},
	{"http://localhost/cb?", "http://localhost:5/cb?", 1},
	{"http://localhost/cb?", "http://localhost:5/cb", 0},
	{"http://localhost/callback", "http://localhost:054321/callback", 0},
	{"http://localhost/callback", "http://localhost:-1/callback", 0},
	{"http://localhost/callback", "http://localhost:5:6/callback", 0},
	{"http://localhost/callback", "http://localhost:5@evil.example/callback", 0},
	/* https never port-varies, not even on loopback hosts */
	{"https://localhost/cb", "https://localhost:5000/cb", 0},
	{"https://127.0.0.1:443/cb", "https://127.0.0.1:8443/cb", 0},
	{"https://localhost/callback", "https://localhost:54321/callback", 0},
	{"http://localhost/callback", "https://localhost/callback", 0},
	/* private-use schemes are exact */
	{"cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback",
	"cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback", 1},
	{"cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback",
	"cursor://anysphere.cursor-retrieval/oauth/user-keboola-data_warehouse/callback", 0},
	{"cursor://anysphere.cursor-retrieval/oauth/user-demo/callback",
	"cursor://anysphere.cursor-retrieval/oauth/user-evil/callback", 0},
	{"cursor://anysphere.cursor-retrieval/oauth/callback",
	"cursor://anysphere.cursor-retrieval/oauth/callback", 1},
	{"cursor://anysphere.cursor-retrieval/oauth/callback",
	"cursor://anysphere.cursor-retrieval:5/oauth/callback", 0},
	{"com.example.app:/cb", "com.example.app:/cb2", 0},
	/* registered before the policy refused its kind: matches nothing */
	{"https://c.example/cb?code=planted", "https://c.example/cb?code=planted", 0},
	{"myapp:/cb", "myapp:/cb", 0},
	{"mailto:x@example.com", "mailto:x@example.com", 0},
};

/* uri_redirect_matches. */
static void
test_matches(void)
{
	size_t		i;

	for (i = 0; i < NELEM(matches); i++)
		CHECK(uri_redirect_matches(matches[i].registered, matches[i].presented) ==
			  matches[i].matches, "match #%zu %s vs %s", i,
			  matches[i].registered, matches[i].presented);
	CHECK(!uri_redirect_matches(NULL, "https://c.example/cb") &&
		  !uri_redirect_matches("https://c.example/cb", NULL), "NULL");
}

typedef struct reason_case
{
	const char *uri;
	const char *reason;			/* NULL: allowed; else a part of the reason */
} reason_case;

static const reason_case any_loopback[] = {
	{"http://localhost:3000/oauth/redirect", NULL},
	{"http://127.0.0.1:65000/any/deep/path", NULL},
	{"http://[::1]:9/x", NULL},
	{"http://localhost", NULL},
	{"http://localhost:3000/oauth/redirect?next=https://evil.example", "must not have a query"},
	{"http://127.0.0.1:8080/cb?", "must not have a query"},
	{"http://127.0.0.1:8080/cb?x=1", "must not have a query"},
	{"http://localhost:3000/cb?code=x", "must not name code"},
	{"http://localhost:3000/cb#x", "fragment"},
	{"https://localhost:3000/cb", "must be http on localhost"},
	{"https://app.example.com/cb", "must be http on localhost"},
	{"cursor://anysphere.cursor-mcp/oauth/callback", "must be http on localhost"},
	{"http://user@localhost/cb", "user information"},
	{"", "empty"},
};

/* uri_any_loopback_problem: the built-in client's rule. */
static void
test_any_loopback(void)
{
	size_t		i;

	for (i = 0; i < NELEM(any_loopback); i++)
	{
		const char *why = uri_any_loopback_problem(any_loopback[i].uri);

		CHECK(any_loopback[i].reason == NULL ? why == NULL :
			  why != NULL && strstr(why, any_loopback[i].reason) != NULL,
			  "any loopback #%zu %s: %s", i, any_loopback[i].uri, why ? why : "allowed");
	}
}

typedef struct info_case
{
	const char *uri;
	int			https_only;
	const char *reason;			/* NULL: allowed */
} info_case;

static const info_case infos[] = {
	{"https://client.example.com/", 1, NULL},
	{"https://client.example.com/logo.png?v=2#x", 1, NULL},
	{"http://client.example.com/tos", 0, NULL},
	{"HTTPS://Client.Example.com/", 0, NULL},
	{"http://client.example.com/logo.png", 1, "must be an https URL"},
	{"ftp://client.example.com/", 0, "must be an http or https URL"},
	{"javascript:alert(1)", 0, "must be an http or https URL"},
	{"https://good.example@evil.example/", 0, "user information"},
	{"https://client.example.com/a b", 0, "not allowed in a URL"},
	{"https://client.example.com/\xe2\x80\xae", 0, "not allowed in a URL"},
	{"https://client.example.com/%zz", 0, "not allowed in a URL"},
	{"https://", 0, "has no host"},
	{"https:///x", 0, "has no host"},
	{"https://client.example.com:99999/", 0, "malformed"},
};

/* uri_info_problem. */
static void
test_info(void)
{
	size_t		i;

	for (i = 0; i < NELEM(infos); i++)
	{
		const char *why = uri_info_problem(infos[i].uri, infos[i].https_only);

		CHECK(infos[i].reason == NULL ? why == NULL :
			  why != NULL && strstr(why, infos[i].reason) != NULL,
			  "info #%zu %s: %s", i, infos[i].uri, why ? why : "allowed");
	}
	CHECK(uri_info_problem(NULL, false) != NULL, "info NULL");
}

typedef struct canon_case
{
	const char *in;
	const char *out;			/* NULL: refused */
} canon_case;

static const canon_case canons[] = {
	{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp"},
	{"HTTPS://MCP.Example.com:443/mcp/", "https://mcp.example.com/mcp"},
	{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp"},
	{"https://x", "https://x"},
	{"https://x/", "https://x"},
	{"HTTPS://X/", "https://x"},
	{"https://x:443", "https://x"},
	{"https://x:8443/", "https://x:8443"},
	{"http://x:80/a", "http://x/a"},
	{"http://x:443/a", "http://x:443/a"},
	{"https://x:80/a", "https://x:80/a"},
	{"https://x/A/B", "https://x/A/B"},
	{"https://x/a?Q=1", "https://x/a?Q=1"},
	{"https://x/?q", "https://x?q"},
	{"https://[2001:DB8::1]:443/mcp", "https://[2001:db8::1]/mcp"},
	{"https://x//", "https://x//"},
	{"https://x/a//", "https://x/a//"},
	{"http://h/p://", "http://h/p://"},
	{"https://x/mcp#frag", NULL},
	{"https://u@x/mcp", NULL},
	{"https:///mcp", NULL},
	{"https://x:0/mcp", NULL},
	{"https://x:65536/mcp", NULL},
	{"ftp://x/mcp", NULL},
	{"cursor://x/mcp", NULL},
	{"/mcp", NULL},
	{"", NULL},
	{"https://x/m cp", NULL},
	{"https://x/%00", NULL},
};

/* uri_canonical_resource, including equality of equivalent forms. */
static void
test_canonical(void)
{
	size_t		i;
	char		a[URI_MAX_LEN + 1];
	char		b[URI_MAX_LEN + 1];
	char		small[10];

	for (i = 0; i < NELEM(canons); i++)
	{
		char		out[URI_MAX_LEN + 1];
		bool		ok = uri_canonical_resource(canons[i].in, out, sizeof(out));

		CHECK(ok == (canons[i].out != NULL) && (!ok || strcmp(out, canons[i].out) == 0),
			  "canonical #%zu %s -> %s", i, canons[i].in, ok ? out : "refused");
	}
	CHECK(uri_canonical_resource("HTTPS://MCP.Example.com:443/mcp/", a, sizeof(a)) &&
		  uri_canonical_resource("https://mcp.example.com/mcp", b, sizeof(b)) &&
		  strcmp(a, b) == 0, "equivalent resources are equal");
	CHECK(!uri_canonical_resource("https://mcp.example.com/mcp", small, sizeof(small)) &&
		  small[0] == '\0', "does not fit");
	CHECK(uri_canonical_resource("HTTPS://A/", small, sizeof(small)) &&
		  strcmp(small, "https://a") == 0, "exact fit");
	CHECK(!uri_canonical_resource("https://ab/", small, sizeof(small)), "one byte too many");
	CHECK(!uri_canonical_resource("https://x/", small, 0), "zero size");
	CHECK(!uri_canonical_resource(NULL, a, sizeof(a)), "NULL");
}

typedef struct display_case
{
	const char *uri;
	const char *out;			/* NULL: false */
} display_case;

static const display_case displays[] = {
	{"https://Client.Example.com/cb?x=1", "client.example.com"},
	{"https://client.example.com:8443/cb", "client.example.com:8443"},
	{"http://localhost:1234/cb", "localhost:1234"},
	{"http://[::1]:9/x", "[::1]:9"},
	{"https://good.example@evil.example/cb", "evil.example"},
	{"cursor://anysphere.cursor-retrieval/oauth/callback", "cursor:"},
	{"Com.Example.App:/cb", "com.example.app:"},
	{"https:///cb", NULL},
	{"/cb", NULL},
	{"https://x/\x01", NULL},
};

/* uri_display_host. */
static void
test_display(void)
{
	size_t		i;
	char		tiny[4];

	for (i = 0; i < NELEM(displays); i++)
	{
		char		out[256];
		bool		ok = uri_display_host(displays[i].uri, out, sizeof(out));

		CHECK(ok == (displays[i].out != NULL) && (!ok || strcmp(out, displays[i].out) == 0),
			  "display #%zu %s -> %s", i, displays[i].uri, ok ? out : "false");
	}
	CHECK(!uri_display_host("https://client.example.com/", tiny, sizeof(tiny)),
		  "display does not fit");
}

typedef struct append_case
{
	const char *uri;
	const char *query;
	const char *out;
} append_case;

static const append_case appends[] = {
	{"https://c.example/cb", "code=abc&state=xyz", "https://c.example/cb?code=abc&state=xyz"},
	{"https://c.example/cb?x=1", "code=abc", "https://c.example/cb?x=1&code=abc"},
	{"https://c.example/cb?", "code=abc", "https://c.example/cb?code=abc"},
	{"https://c.example/cb?x=1&", "code=abc", "https://c.example/cb?x=1&code=abc"},
	{"com.example.app:/cb", "error=access_denied", "com.example.app:/cb?error=access_denied"},
	{"https://c.example/cb#f", "code=abc", NULL},
};

/* uri_append_query, including buffer limits. */
static void
test_append(void)
{
	size_t		i;
	char		out[40];

	for (i = 0; i < NELEM(appends); i++)
	{
		char		big[256];
		bool		ok = uri_append_query(appends[i].uri, appends[i].query, big, sizeof(big));

		CHECK(ok == (appends[i].out != NULL) && (!ok || strcmp(big, appends[i].out) == 0),
			  "append #%zu -> %s", i, ok ? big : "false");
	}
	/* "https://c.example/cb?code=" is 26 bytes: 13 more fill 39 + NUL */
	CHECK(uri_append_query("https://c.example/cb", "code=1234567890123", out, sizeof(out)) &&
		  strlen(out) == 39, "exact fit");
	CHECK(!uri_append_query("https://c.example/cb", "code=12345678901234", out, sizeof(out)) &&
		  out[0] == '\0', "one byte too many");
	CHECK(!uri_append_query(NULL, "a=1", out, sizeof(out)), "NULL uri");
}

/* A URL for uri_fetch_problem(), the IP-literal policy, and what it must give. */
typedef struct fetch_case
{
	const char *url;
	bool		refuse_ip;
	const char *want;			/* NULL: may be fetched */
} fetch_case;

static const fetch_case fetches[] = {
	{"https://client.example/metadata.json", true, NULL},
	{"https://client.example:8443/a/b?x=1", true, NULL},
	{"HTTPS://Client.Example/m", true, NULL},
	{"https://client.example./m", true, NULL},
	{"http://client.example/m", false, "must be an https URL"},
	{"ftp://client.example/m", false, "must be an https URL"},
	{"https://user@client.example/m", false, "must not contain user information"},
	{"https://user:pw@client.example/m", false, "must not contain user information"},
	{"https://client.example/m#frag", false, "must not contain a fragment"},
	{"https://client.example/m#", false, "must not contain a fragment"},
	{"https://client.example", false, "must have a path"},
	{"https://client.example/", false, "must have a path"},
	{"https://client.example?x=1", false, "must have a path"},
	{"https://client.example/a/../m", false, "must not have . or .. path segments"},
	{"https://client.example/./m", false, "must not have . or .. path segments"},
	{"https://client.example/a/%2e%2E/m", false, "must not have . or .. path segments"},
	{"https://client.example/a/..", false, "must not have . or .. path segments"},
	{"https://client.example/a/...", false, NULL},
	{"https://client.example/.well-known/x", false, NULL},
	{"https:///m", false, "has no host"},
	{"https:/m", false, "has no host"},
	{"https://cl_ient.example/m", false, "has no host"},
	{"https://client.example:0/m", false, "is malformed"},
	{"https://client example/m", false, "is malformed"},
	{"/relative", false, "is malformed"},
	{"", false, "is malformed"},
	/* IP-literal hosts: refused only when asked */
	{"https://127.0.0.1/m", false, NULL},
	{"https://127.0.0.1/m", true, "must name its host, not an IP address"},
	{"https://[::1]/m", true, "must name its host, not an IP address"},
	{"https://[::ffff:10.0.0.1]:8443/m", true, "must name its host, not an IP address"},
	{"https://127.1/m", true, "must name its host, not an IP address"},
	{"https://2130706433/m", true, "must name its host, not an IP address"},
	{"https://0x7f.1/m", true, "must name its host, not an IP address"},
	{"https://10.0.0.1./m", true, "must name its host, not an IP address"},
	{"https://a.b.123/m", true, "must name its host, not an IP address"},
	{"https://123.example/m", true, NULL},
	{"https://0x.example/m", true, NULL},
	{"https://example.0x/m", true, NULL},
	{"https://example.0xg/m", true, NULL},
};

/* uri_fetch_problem. */
static void
test_fetch(void)
{
	size_t		i;

	for (i = 0; i < NELEM(fetches); i++)
	{
		const char *got = uri_fetch_problem(fetches[i].url, fetches[i].refuse_ip);

		CHECK(unit_streq(got, fetches[i].want), "fetch %s (ip %d): got %s, want %s",
			  fetches[i].url, fetches[i].refuse_ip, unit_show(got), unit_show(fetches[i].want));
	}
	CHECK(unit_streq(uri_fetch_problem(NULL, true), "is too long"), "NULL url");
}

/* A URL, a host list for uri_host_listed(), and whether it is listed. */
static const struct
{
	const char *url;
	const char *hosts;
	bool		listed;
}			listed[] = {
	{"https://evil.example/c.json", "evil.example", true},
	{"https://EVIL.Example/c.json", "evil.example", true},
	{"https://evil.example/c.json", "EVIL.EXAMPLE", true},
	{"https://evil.example./c.json", "evil.example", true},	/* the root dot */
	{"https://evil.example/c.json", "evil.example.", true},
	{"https://evil.example:8443/c.json", "evil.example", true},	/* any port */
	{"https://u:p@evil.example/c.json", "evil.example", true},
	{"https://evil.example/c.json", "good.example, evil.example", true},
	{"https://evil.example/c.json", " good.example ,\tevil.example ", true},
	{"https://evil.example/c.json", "good.example", false},
	{"https://notevil.example/c.json", "evil.example", false},	/* a suffix is not the host */
	{"https://evil.example.com/c.json", "evil.example", false},
	{"https://a.evil.example/c.json", "evil.example", false},	/* no entry, no subdomains */
	/* 1. "*.name": every host below name, at any depth, not name itself */
	{"https://a.evil.example/c.json", "*.evil.example", true},
	{"https://a.b.evil.example/c.json", "*.evil.example", true},
	{"https://A.EVIL.EXAMPLE./c.json", "*.evil.example", true},
	{"https://evil.example/c.json", "*.evil.example", false},
	{"https://aevil.example/c.json", "*.evil.example", false},
	{"https://a.evil.example/c.json", "*.evil.example, evil.example", true},
	{"https://evil.example/c.json", "*.evil.example, evil.example", true},
	/* 2. entries that are not host names match nothing */
	{"https://evil.example/c.json", "*", false},
	{"https://evil.example/c.json", "*evil.example", false},
	{"https://evil.example/c.json", "ev*l.example", false},
	{"https://evil.example/c.json", "evil..example", false},
	{"https://evil.example/c.json", "bad entry, evil.example", true},
	/* 3. no list, an empty one, no host */
	{"https://evil.example/c.json", NULL, false},
	{"https://evil.example/c.json", "", false},
	{"https://evil.example/c.json", ",", false},
	{"cursor:/cb", "cursor", false},
	{"not a url", "evil.example", false},
	{NULL, "evil.example", false},
};

/* A host list and why uri_host_list_problem() refuses it (NULL: it does not). */
static const struct
{
	const char *hosts;
	const char *problem;
}			host_lists[] = {
	{"", NULL},
	{"  ", NULL},
	{NULL, NULL},
	{"evil.example", NULL},
	{"evil.example., *.evil.example, xn--bcher-kva.example, a-b.c1", NULL},
	{"localhost", NULL},
	{"evil.example,", "has an empty entry"},
	{"evil.example,,other.example", "has an empty entry"},
	{",evil.example", "has an empty entry"},
	{"*", "has an entry that is not a host name or *.name"},
	{"*.", "has an entry that is not a host name or *.name"},
	{"**.evil.example", "has an entry that is not a host name or *.name"},
	{"*evil.example", "has an entry that is not a host name or *.name"},
	{"evil.*.example", "has an entry that is not a host name or *.name"},
	{"https://evil.example", "has an entry that is not a host name or *.name"},
	{"evil.example/path", "has an entry that is not a host name or *.name"},
	{"evil.example:443", "has an entry that is not a host name or *.name"},
	{"evil..example", "has an entry that is not a host name or *.name"},
	{".evil.example", "has an entry that is not a host name or *.name"},
	{"evil example", "has an entry that is not a host name or *.name"},
	{"[::1]", "has an entry that is not a host name or *.name"},
	{"\xc3\xa9vil.example", "has an entry that is not a host name or *.name"},
};

/* uri_host_listed and uri_host_list_problem: an operator's denied hosts. */
static void
test_host_lists(void)
{
	char		label[80];
	char		name[300];
	size_t		i;

	for (i = 0; i < NELEM(listed); i++)
		CHECK(uri_host_listed(listed[i].url, listed[i].hosts) == listed[i].listed,
			  "listed(%s, %s) should be %d", unit_show(listed[i].url),
			  unit_show(listed[i].hosts), listed[i].listed);
	for (i = 0; i < NELEM(host_lists); i++)
	{
		const char *got = uri_host_list_problem(host_lists[i].hosts);

		CHECK(unit_streq(got, host_lists[i].problem), "list problem(%s) = %s, want %s",
			  unit_show(host_lists[i].hosts), unit_show(got), unit_show(host_lists[i].problem));
	}
	/* 4. a label of 63 is a name, of 64 is not; a name of 253 is, of 254 not */
	memset(label, 'a', 63);
	label[63] = '\0';
	CHECK(uri_host_list_problem(label) == NULL, "a 63-byte label");
	strcat(label, "a");
	CHECK(uri_host_list_problem(label) != NULL, "a 64-byte label");
	for (i = 0; i < 300; i++)
		name[i] = i % 2 ? '.' : 'a';
	name[253] = '\0';
	CHECK(uri_host_list_problem(name) == NULL, "a 253-byte name");
	name[253] = 'a';
	name[254] = '\0';
	CHECK(uri_host_list_problem(name) != NULL, "a 254-byte name");
}

int
main(void)
{
	test_policy();
	test_long();
	test_classes();
	test_matches();
	test_any_loopback();
	test_info();
	test_canonical();
	test_display();
	test_append();
	test_fetch();
	test_host_lists();
	return unit_done("uri");
}
