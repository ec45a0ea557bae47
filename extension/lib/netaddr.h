/*
 * netaddr.h
 *		IP addresses and networks: parsing, CIDR matching, and the policy of
 *		which addresses an outbound fetch may not reach (loopback, private,
 *		link-local, documentation, ... and IPv6 forms that embed them).
 *
 * Pure C: no PostgreSQL headers.
 */
#ifndef MCP_OAUTH_NETADDR_H
#define MCP_OAUTH_NETADDR_H

#include <stdbool.h>

/* An IPv4 or IPv6 address. */
typedef struct netaddr
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* network order; 4 used for AF_INET */
} netaddr;

/* A network: an address with the host bits cleared, and its prefix length. */
typedef struct netaddr_cidr
{
	netaddr		net;
	int			prefix;			/* 0..32 or 0..128 */
} netaddr_cidr;

/*
 * Parse an IPv4 (dotted quad) or IPv6 address in text form: no brackets,
 * zone or port.  False if text is not one.
 */
extern bool netaddr_parse(const char *text, netaddr *out);

/*
 * Parse "ADDRESS" or "ADDRESS/PREFIX" (IPv4 or IPv6; a prefix of 1 to 3
 * digits, at most 32 or 128).  Host bits are cleared.  False if invalid.
 */
extern bool netaddr_cidr_parse(const char *text, netaddr_cidr *out);

/*
 * Whether addr lies in net.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is matched as its IPv4 address against an IPv4 network.
 */
extern bool netaddr_cidr_contains(const netaddr_cidr *net, const netaddr *addr);

/*
 * The special-purpose class of addr (RFC 6890 and its updates) that an
 * outbound fetch must not reach, as a short lowercase name ("loopback",
 * "private", "link-local", "documentation", "IPv4-mapped", ...), or NULL
 * for an ordinary global unicast address.  IPv4-mapped and -compatible
 * addresses are always refused; NAT64 (64:ff9b::/96), 6to4 (2002::/16) and
 * Teredo (2001::/32, server and obfuscated client) addresses are refused
 * when an IPv4 address they embed is; the local-use NAT64 prefix
 * (64:ff9b:1::/48), whose embedding depends on the operator's prefix
 * length, always; any IPv6 address outside 2000::/3 that is not NAT64 is
 * "reserved".
 */
extern const char *netaddr_special(const netaddr *addr);

/*
 * Why an outbound fetch may not connect to addr: NULL when it lies in one
 * of the n networks of allow (operator exceptions) or is not special,
 * else the class name of netaddr_special().
 */
extern const char *netaddr_fetch_refusal(const netaddr *addr,
										 const netaddr_cidr *allow, int n);

#endif
