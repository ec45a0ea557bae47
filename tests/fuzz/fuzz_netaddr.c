/*
 * fuzz_netaddr.c
 *		libFuzzer harness for lib/netaddr.c.  The input is read twice: as
 *		text (an address, then a CIDR) and, when long enough, as the bytes
 *		of an IPv4 and an IPv6 address.  Checks: parsed literals print back
 *		to the same address; a CIDR holds its own network and is a fixed
 *		point; the IPv6 forms that embed an IPv4 address (NAT64, 6to4,
 *		Teredo) are refused exactly when it is; mapped and compatible forms
 *		always; an address allowed by its own /32 or /128 is never refused.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "lib/netaddr.h"

/* An address of family with the given bytes. */
static netaddr
make_addr(int family, const unsigned char *bytes, size_t n)
{
	netaddr		a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	memcpy(a.bytes, bytes, n);
	return a;
}

/* Whether v4 (4 bytes) is refused. */
static int
v4_refused(const unsigned char *v4)
{
	netaddr		a = make_addr(AF_INET, v4, 4);

	return netaddr_special(&a) != NULL;
}

/* Whether the IPv6 address of prefix (n bytes) followed by v4 at offset at is refused. */
static int
embedded_refused(const unsigned char *prefix, size_t n, const unsigned char *v4,
				 size_t at, int invert)
{
	unsigned char b[16] = {0};
	netaddr		a;
	int			i;

	memcpy(b, prefix, n);
	for (i = 0; i < 4; i++)
		b[at + i] = invert ? (unsigned char) ~v4[i] : v4[i];
	a = make_addr(AF_INET6, b, 16);
	return netaddr_special(&a) != NULL;
}

/* The embedding invariants for one IPv4 address. */
static void
check_embedded(const unsigned char *v4)
{
	static const unsigned char nat64[] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char sixtofour[] = {0x20, 0x02};
	static const unsigned char teredo_public[] = {0x20, 0x01, 0, 0, 8, 8, 8, 8};
	static const unsigned char mapped[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char public_v4[] = {8, 8, 8, 8};
	int			r = v4_refused(v4);
	unsigned char teredo_server[8] = {0x20, 0x01, 0, 0};

	if (embedded_refused(nat64, sizeof(nat64), v4, 12, 0) != r)
		abort();
	if (embedded_refused(sixtofour, sizeof(sixtofour), v4, 2, 0) != r)
		abort();
	/* Teredo: the client, inverted, with a public server */
	if (embedded_refused(teredo_public, sizeof(teredo_public), v4, 12, 1) != r)
		abort();
	/* Teredo: the server, with a public client */
	memcpy(teredo_server + 4, v4, 4);
	if (embedded_refused(teredo_server, sizeof(teredo_server), public_v4, 12, 1) != r)
		abort();
	if (!embedded_refused(mapped, sizeof(mapped), v4, 12, 0) ||
		!embedded_refused(mapped, 0, v4, 12, 0))
		abort();
}

/* An address is allowed by its own host network whatever its class. */
static void
check_allow_self(const netaddr *a)
{
	netaddr_cidr self;

	memset(&self, 0, sizeof(self));
	self.net = *a;
	self.prefix = a->family == AF_INET ? 32 : 128;
	if (!netaddr_cidr_contains(&self, a) || netaddr_fetch_refusal(a, &self, 1) != NULL)
		abort();
	if (netaddr_fetch_refusal(a, NULL, 0) != netaddr_special(a))
		abort();
}

/* A parsed literal prints back to the same address. */
static void
check_literal(const char *text)
{
	char		buf[INET6_ADDRSTRLEN];
	netaddr		a,
				b;

	if (!netaddr_parse(text, &a))
		return;
	if (inet_ntop(a.family, a.bytes, buf, sizeof(buf)) == NULL ||
		!netaddr_parse(buf, &b) || b.family != a.family ||
		memcmp(a.bytes, b.bytes, sizeof(a.bytes)) != 0)
		abort();
	check_allow_self(&a);
}

/* A parsed CIDR holds its network and prints back to itself. */
static void
check_cidr(const char *text)
{
	char		buf[INET6_ADDRSTRLEN + 8];
	char		addr[INET6_ADDRSTRLEN];
	netaddr_cidr c,
				d;

	if (!netaddr_cidr_parse(text, &c))
		return;
	if (c.prefix < 0 || c.prefix > (c.net.family == AF_INET ? 32 : 128) ||
		!netaddr_cidr_contains(&c, &c.net))
		abort();
	if (inet_ntop(c.net.family, c.net.bytes, addr, sizeof(addr)) == NULL)
		abort();
	snprintf(buf, sizeof(buf), "%s/%d", addr, c.prefix);
	if (!netaddr_cidr_parse(buf, &d) || d.prefix != c.prefix ||
		memcmp(&d.net, &c.net, sizeof(c.net)) != 0)
		abort();
}

/* One fuzz input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_cstring(data, size);

	check_literal(text);
	check_cidr(text);
	if (size >= 4)
	{
		netaddr		a = make_addr(AF_INET, data, 4);

		check_embedded(data);
		check_allow_self(&a);
	}
	if (size >= 16)
	{
		netaddr		a = make_addr(AF_INET6, data, 16);

		check_allow_self(&a);
	}
	fuzz_free_all();
	return 0;
}
