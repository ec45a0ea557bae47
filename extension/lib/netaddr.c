/*
 * netaddr.c
 *		IP addresses and networks: parsing, CIDR matching, and the
 *		special-purpose ranges an outbound fetch must not reach.
 *
 * Pure C: no PostgreSQL headers.
 *
 * The ranges are those of the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890, RFC 8190) that are not globally reachable, plus
 * multicast, and the IPv6 forms that carry an IPv4 address inside: mapped
 * and compatible (RFC 4291), NAT64 (RFC 6052, RFC 8215), 6to4 (RFC 3056)
 * and Teredo (RFC 4380).
 */
#include "lib/netaddr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One special-purpose range: its first bytes, prefix length and class. */
typedef struct netaddr_range
{
	unsigned char bytes[16];
	int			prefix;
	const char *name;
} netaddr_range;

/* IPv4 ranges, most specific first where they overlap. */
static const netaddr_range netaddr_v4_ranges[] = {
	{{0}, 8, "this network"},
	{{10}, 8, "private"},
	{{100, 64}, 10, "shared address space"},
	{{127}, 8, "loopback"},
	{{169, 254}, 16, "link-local"},
	{{172, 16}, 12, "private"},
	{{192, 0, 0}, 24, "IETF protocol assignments"},
	{{192, 0, 2}, 24, "documentation"},
	{{192, 88, 99}, 24, "6to4 relay anycast"},
	{{192, 168}, 16, "private"},
	{{198, 18}, 15, "benchmarking"},
	{{198, 51, 100}, 24, "documentation"},
	{{203, 0, 113}, 24, "documentation"},
	{{224}, 4, "multicast"},
	{{255, 255, 255, 255}, 32, "broadcast"},
	{{240}, 4, "reserved"},
};

/*
 * IPv6 ranges refused whatever they contain, most specific first; the
 * forms that embed an IPv4 address are decided in netaddr_v6_special().
 */
static const netaddr_range netaddr_v6_ranges[] = {
	{{0}, 128, "unspecified"},
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, "IPv4-mapped"},
	{{0}, 96, "IPv4-compatible"},
	{{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "NAT64 local-use"},
	{{0x01, 0x00}, 64, "discard-only"},
	{{0x20, 0x01, 0, 0x02, 0, 0}, 48, "benchmarking"},
	{{0x20, 0x01, 0, 0x10}, 28, "ORCHID"},
	{{0x20, 0x01, 0, 0x20}, 28, "ORCHID"},
	{{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
	{{0x3f, 0xff}, 20, "documentation"},
	{{0xfc}, 7, "unique local"},
	{{0xfe, 0x80}, 10, "link-local"},
	{{0xfe, 0xc0}, 10, "site-local"},
	{{0xff}, 8, "multicast"},
};

#define NETADDR_NELEM(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* Whether the first prefix bits of a and b are equal. */
static bool
netaddr_prefix_eq(const unsigned char *a, const unsigned char *b, int prefix)
{
	int			full = prefix / 8;
	int			rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 ||
		((a[full] ^ b[full]) & (unsigned char) (0xff << (8 - rest))) == 0;
}

/* The class of the first of n ranges that holds bytes, or NULL. */
static const char *
netaddr_range_name(const netaddr_range *ranges, int n, const unsigned char *bytes)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (netaddr_prefix_eq(bytes, ranges[i].bytes, ranges[i].prefix))
			return ranges[i].name;
	}
	return NULL;
}

/* Whether the IPv4 address at v4 (4 bytes) is special-purpose. */
static bool
netaddr_v4_refused(const unsigned char *v4)
{
	return netaddr_range_name(netaddr_v4_ranges, NETADDR_NELEM(netaddr_v4_ranges), v4) != NULL;
}

/*
 * Whether a Teredo address refuses: its server (bytes 4..7) or its client,
 * stored with every bit inverted (bytes 12..15), is special-purpose.
 */
static bool
netaddr_teredo_refused(const unsigned char *b)
{
	unsigned char client[4];
	int			i;

	for (i = 0; i < 4; i++)
		client[i] = (unsigned char) ~b[12 + i];
	return netaddr_v4_refused(b + 4) || netaddr_v4_refused(client);
}

/* The class of a special-purpose IPv6 address, or NULL. */
static const char *
netaddr_v6_special(const unsigned char *b)
{
	static const unsigned char nat64[16] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char teredo[16] = {0x20, 0x01, 0, 0};
	static const unsigned char sixtofour[16] = {0x20, 0x02};
	const char *name;

	name = netaddr_range_name(netaddr_v6_ranges, NETADDR_NELEM(netaddr_v6_ranges), b);
	if (name != NULL)
		return name;
	if (netaddr_prefix_eq(b, nat64, 96))
		return netaddr_v4_refused(b + 12) ? "NAT64 of a refused IPv4 address" : NULL;
	if (netaddr_prefix_eq(b, teredo, 32))
		return netaddr_teredo_refused(b) ? "Teredo with a refused IPv4 address" : NULL;
	if (netaddr_prefix_eq(b, sixtofour, 16))
		return netaddr_v4_refused(b + 2) ? "6to4 of a refused IPv4 address" : NULL;
	/* global unicast is 2000::/3; everything else is unassigned or special */
	if ((b[0] & 0xe0) != 0x20)
		return "reserved";
	return NULL;
}

/* The special-purpose class of addr, or NULL for a global unicast address. */
const char *
netaddr_special(const netaddr *addr)
{
	if (addr->family == AF_INET)
		return netaddr_range_name(netaddr_v4_ranges, NETADDR_NELEM(netaddr_v4_ranges),
								  addr->bytes);
	if (addr->family == AF_INET6)
		return netaddr_v6_special(addr->bytes);
	return "unknown address family";
}

/* Why a fetch may not connect to addr (NULL: it may). */
const char *
netaddr_fetch_refusal(const netaddr *addr, const netaddr_cidr *allow, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (netaddr_cidr_contains(&allow[i], addr))
			return NULL;
	}
	return netaddr_special(addr);
}

/* Parse an IPv4 or IPv6 address literal (no brackets, zone or port). */
bool
netaddr_parse(const char *text, netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;
	if (inet_pton(AF_INET, text, out->bytes) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, text, out->bytes) == 1)
		out->family = AF_INET6;
	else
		return false;
	return true;
}

/* The prefix length in text (1 to 3 digits, at most max), or -1. */
static int
netaddr_prefix_parse(const char *text, int max)
{
	size_t		n = strlen(text);
	int			v;

	if (n == 0 || n > 3 || strspn(text, "0123456789") != n)
		return -1;
	v = atoi(text);
	return v <= max ? v : -1;
}

/* Clear the bits of c's address after its prefix. */
static void
netaddr_clear_host_bits(netaddr_cidr *c)
{
	int			i;

	for (i = 0; i < 16; i++)
	{
		int			keep = c->prefix - i * 8;

		if (keep <= 0)
			c->net.bytes[i] = 0;
		else if (keep < 8)
			c->net.bytes[i] &= (unsigned char) (0xff << (8 - keep));
	}
}

/* Parse "ADDRESS[/PREFIX]" into out, host bits cleared; false if invalid. */
bool
netaddr_cidr_parse(const char *text, netaddr_cidr *out)
{
	char		addr[INET6_ADDRSTRLEN];
	const char *slash;
	size_t		alen;
	int			max;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;
	slash = strchr(text, '/');
	alen = slash != NULL ? (size_t) (slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (!netaddr_parse(addr, &out->net))
		return false;
	max = out->net.family == AF_INET ? 32 : 128;
	out->prefix = slash != NULL ? netaddr_prefix_parse(slash + 1, max) : max;
	if (out->prefix < 0)
		return false;
	netaddr_clear_host_bits(out);
	return true;
}

/* Whether addr lies in net; an IPv4-mapped address counts as IPv4. */
bool
netaddr_cidr_contains(const netaddr_cidr *net, const netaddr *addr)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a = addr->bytes;
	int			family = addr->family;

	if (family == AF_INET6 && net->net.family == AF_INET &&
		memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
	{
		a += 12;
		family = AF_INET;
	}
	return family == net->net.family && netaddr_prefix_eq(a, net->net.bytes, net->prefix);
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
