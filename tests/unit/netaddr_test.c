/*
 * netaddr_test.c
 *		Unit tests of lib/netaddr.c: parsing, CIDR matching, and every class
 *		of address an outbound fetch refuses, at the edges of each range.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "unit.h"
#include "lib/netaddr.h"

/* The class netaddr_special() gives the literal text ("-" if unparsable). */
static const char *
special(const char *text)
{
	netaddr		a;

	if (!netaddr_parse(text, &a))
		return "-";
	return netaddr_special(&a);
}

/* A literal and the class it must get (NULL: an ordinary global address). */
typedef struct special_case
{
	const char *addr;
	const char *want;
} special_case;

/* 1. IPv4: the first and last address of every range, and the neighbours outside. */
static const special_case v4_cases[] = {
	{"0.0.0.0", "this network"},
	{"0.255.255.255", "this network"},
	{"1.0.0.0", NULL},
	{"9.255.255.255", NULL},
	{"10.0.0.0", "private"},
	{"10.255.255.255", "private"},
	{"11.0.0.0", NULL},
	{"100.63.255.255", NULL},
	{"100.64.0.0", "shared address space"},
	{"100.127.255.255", "shared address space"},
	{"100.128.0.0", NULL},
	{"126.255.255.255", NULL},
	{"127.0.0.0", "loopback"},
	{"127.0.0.1", "loopback"},
	{"127.255.255.255", "loopback"},
	{"128.0.0.0", NULL},
	{"169.253.255.255", NULL},
	{"169.254.0.0", "link-local"},
	{"169.254.169.254", "link-local"},	/* cloud metadata */
	{"169.254.255.255", "link-local"},
	{"169.255.0.0", NULL},
	{"172.15.255.255", NULL},
	{"172.16.0.0", "private"},
	{"172.31.255.255", "private"},
	{"172.32.0.0", NULL},
	{"192.0.0.0", "IETF protocol assignments"},
	{"192.0.0.255", "IETF protocol assignments"},
	{"192.0.1.0", NULL},
	{"192.0.2.0", "documentation"},
	{"192.0.2.255", "documentation"},
	{"192.0.3.0", NULL},
	{"192.88.99.0", "6to4 relay anycast"},
	{"192.88.99.255", "6to4 relay anycast"},
	{"192.167.255.255", NULL},
	{"192.168.0.0", "private"},
	{"192.168.255.255", "private"},
	{"192.169.0.0", NULL},
	{"198.17.255.255", NULL},
	{"198.18.0.0", "benchmarking"},
	{"198.19.255.255", "benchmarking"},
	{"198.20.0.0", NULL},
	{"198.51.100.0", "documentation"},
	{"198.51.100.255", "documentation"},
	{"203.0.112.255", NULL},
	{"203.0.113.0", "documentation"},
	{"203.0.113.255", "documentation"},
	{"203.0.114.0", NULL},
	{"223.255.255.255", NULL},
	{"224.0.0.0", "multicast"},
	{"239.255.255.255", "multicast"},
	{"240.0.0.0", "reserved"},
	{"255.255.255.254", "reserved"},
	{"255.255.255.255", "broadcast"},
	{"8.8.8.8", NULL},
	{"93.184.215.14", NULL},
};

/* 2. IPv6: the named ranges, their edges, and global unicast beside them. */
static const special_case v6_cases[] = {
	{"::", "unspecified"},
	{"::1", "loopback"},
	{"::2", "IPv4-compatible"},
	{"::8.8.8.8", "IPv4-compatible"},
	{"::127.0.0.1", "IPv4-compatible"},
	{"::ffff:8.8.8.8", "IPv4-mapped"},
	{"::ffff:127.0.0.1", "IPv4-mapped"},
	{"::ffff:0.0.0.0", "IPv4-mapped"},
	{"::ffff:255.255.255.255", "IPv4-mapped"},
	{"::1:0:0:0", "reserved"},
	{"100::", "discard-only"},
	{"100::ffff:ffff:ffff:ffff", "discard-only"},
	{"100:0:0:1::", "reserved"},
	{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
	{"2000::", NULL},
	{"2001:2::", "benchmarking"},
	{"2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmarking"},
	{"2001:10::1", "ORCHID"},
	{"2001:1f:ffff::", "ORCHID"},
	{"2001:20::1", "ORCHID"},
	{"2001:2f:ffff::", "ORCHID"},
	{"2001:30::", NULL},
	{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
	{"2001:db8::", "documentation"},
	{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"},
	{"2001:db9::", NULL},
	{"3fff::", "documentation"},
	{"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"},
	{"3fff:1000::", NULL},
	{"3ffe:ffff::", NULL},
	{"4000::", "reserved"},
	{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
	{"fc00::", "unique local"},
	{"fd12:3456::1", "unique local"},
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local"},
	{"fe00::", "reserved"},
	{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
	{"fe80::", "link-local"},
	{"fe80::1", "link-local"},
	{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"},
	{"fec0::", "site-local"},
	{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site-local"},
	{"ff00::", "multicast"},
	{"ff02::1", "multicast"},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"},
	{"2606:4700:4700::1111", NULL},
	{"2a00:1450:4001:81c::200e", NULL},
};

/* 3. IPv6 forms that embed an IPv4 address: refused when it is. */
static const special_case embedded_cases[] = {
	/* NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): the last 32 bits */
	{"64:ff9b::8.8.8.8", NULL},
	{"64:ff9b::808:808", NULL},
	{"64:ff9b::127.0.0.1", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::7f00:1", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::10.0.0.1", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::169.254.169.254", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::192.168.1.1", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::255.255.255.255", "NAT64 of a refused IPv4 address"},
	{"64:ff9b::1:8.8.8.8", "reserved"},	/* outside the /96 */
	{"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
	/* local-use NAT64 64:ff9b:1::/48 (RFC 8215): always */
	{"64:ff9b:1::", "NAT64 local-use"},
	{"64:ff9b:1::808:808", "NAT64 local-use"},
	{"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "NAT64 local-use"},
	{"64:ff9b:2::", "reserved"},
	/* 6to4 2002::/16 (RFC 3056): bits 16..47 */
	{"2002:808:808::1", NULL},
	{"2002:7f00:1::1", "6to4 of a refused IPv4 address"},
	{"2002:a00:1::", "6to4 of a refused IPv4 address"},
	{"2002:a9fe:a9fe::", "6to4 of a refused IPv4 address"},
	{"2002:c0a8:101:1::1", "6to4 of a refused IPv4 address"},
	{"2002:0:0::1", "6to4 of a refused IPv4 address"},
	{"2002:e000:1::", "6to4 of a refused IPv4 address"},
	{"2001:ffff::", NULL},
	{"2003::7f00:1", NULL},		/* not 6to4 */
	/* Teredo 2001::/32 (RFC 4380): server bits 32..63, client inverted in 96..127 */
	{"2001:0:808:808:0:0:f7f7:f7f7", NULL},	/* server 8.8.8.8, client 8.8.8.8 */
	{"2001:0:7f00:1:0:0:f7f7:f7f7", "Teredo with a refused IPv4 address"},	/* server 127.0.0.1 */
	{"2001:0:808:808:0:0:80ff:fffe", "Teredo with a refused IPv4 address"},	/* client 127.0.0.1 */
	{"2001:0:808:808:0:0:f5ff:fffe", "Teredo with a refused IPv4 address"},	/* client 10.0.0.1 */
	{"2001:0:808:808:0:0:5601:5601", "Teredo with a refused IPv4 address"},	/* client 169.254.169.254 */
	{"2001:0:808:808:8000:ffff:3f57:fefe", "Teredo with a refused IPv4 address"},	/* client 192.168.1.1 */
	{"2001:0:808:808:0:0:7f7:f7f7", "Teredo with a refused IPv4 address"},	/* client 248.8.8.8 (reserved) */
	{"2001:0:808:808:0:0:f7f7:f7f6", NULL},	/* client 8.8.8.9 */
};

/* Check one table of cases. */
static void
check_cases(const char *what, const special_case *cases, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *got = special(cases[i].addr);

		CHECK(unit_streq(got, cases[i].want), "%s %s: got %s, want %s", what,
			  cases[i].addr, unit_show(got), unit_show(cases[i].want));
	}
}

/* 4. Parsing: literals only, no brackets, zones, ports or shorthand IPv4. */
static void
test_parse(void)
{
	static const char *const bad[] = {
		"", "localhost", "[::1]", "::1%eth0", "127.0.0.1:80", "127.1", "0x7f.0.0.1",
		"2130706433", "127.0.0.01", "1.2.3.4.5", "::ffff:1.2.3", "1:2:3:4:5:6:7:8:9",
		" 1.2.3.4", "1.2.3.4 ",
	};
	netaddr		a;
	size_t		i;

	for (i = 0; i < NELEM(bad); i++)
		CHECK(!netaddr_parse(bad[i], &a), "parse accepted \"%s\"", bad[i]);
	CHECK(!netaddr_parse(NULL, &a), "parse accepted NULL");
	CHECK(netaddr_parse("1.2.3.4", &a) && a.family == AF_INET && a.bytes[3] == 4,
		  "parse 1.2.3.4");
	CHECK(netaddr_parse("::ffff:1.2.3.4", &a) && a.family == AF_INET6 && a.bytes[15] == 4,
		  "parse ::ffff:1.2.3.4");
}

/* Whether the CIDR text contains the address text. */
static bool
contains(const char *cidr, const char *addr)
{
	netaddr_cidr c;
	netaddr		a;

	return netaddr_cidr_parse(cidr, &c) && netaddr_parse(addr, &a) &&
		netaddr_cidr_contains(&c, &a);
}

/* 5. CIDRs: parsing, host bits, prefix edges, mapped addresses. */
static void
test_cidr(void)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8/8", "10.0.0.0/-1",
		"10.0.0.0/1000", "10.0.0.0/ 8", "10.0.0.0/8a", "10/8", "fe80::/10%x",
	};
	netaddr_cidr c;
	size_t		i;

	for (i = 0; i < NELEM(bad); i++)
		CHECK(!netaddr_cidr_parse(bad[i], &c), "cidr accepted \"%s\"", bad[i]);
	CHECK(netaddr_cidr_parse("10.1.2.3/8", &c) && c.prefix == 8 && c.net.bytes[1] == 0,
		  "host bits of 10.1.2.3/8 cleared");
	CHECK(netaddr_cidr_parse("10.1.2.3", &c) && c.prefix == 32, "an address is a /32");
	CHECK(netaddr_cidr_parse("::1", &c) && c.prefix == 128, "an IPv6 address is a /128");
	CHECK(netaddr_cidr_parse("fe80::1/10", &c) && c.net.bytes[1] == 0x80 &&
		  c.net.bytes[15] == 0, "host bits of fe80::1/10 cleared");
	CHECK(contains("127.0.0.0/8", "127.0.0.0"), "127/8 has its first address");
	CHECK(contains("127.0.0.0/8", "127.255.255.255"), "127/8 has its last address");
	CHECK(!contains("127.0.0.0/8", "128.0.0.0"), "127/8 lacks 128.0.0.0");
	CHECK(!contains("127.0.0.0/8", "126.255.255.255"), "127/8 lacks 126.255.255.255");
	CHECK(contains("172.16.0.0/12", "172.31.255.255"), "172.16/12 has 172.31.255.255");
	CHECK(!contains("172.16.0.0/12", "172.32.0.0"), "172.16/12 lacks 172.32.0.0");
	CHECK(contains("0.0.0.0/0", "8.8.8.8") && !contains("0.0.0.0/0", "::1"),
		  "0/0 is every IPv4 address and no IPv6 one");
	CHECK(contains("::/0", "::1") && !contains("::/0", "8.8.8.8"),
		  "::/0 is every IPv6 address and no IPv4 one");
	CHECK(contains("127.0.0.0/8", "::ffff:127.0.0.1"), "a mapped address matches as IPv4");
	CHECK(!contains("127.0.0.0/8", "::127.0.0.1"), "a compatible address does not");
	CHECK(!contains("127.0.0.0/8", "64:ff9b::127.0.0.1"), "a NAT64 address does not");
	CHECK(contains("fd00::/8", "fd12::1") && !contains("fd00::/8", "fc00::1"),
		  "fd00::/8 has fd12::1 but not fc00::1");
	CHECK(contains("2001:db8::/33", "2001:db8:7fff::1") &&
		  !contains("2001:db8::/33", "2001:db8:8000::1"), "a /33 splits at bit 33");
	CHECK(contains("1.2.3.4/32", "1.2.3.4") && !contains("1.2.3.4/32", "1.2.3.5"),
		  "a /32 is one address");
}

/* The refusal of the literal addr with the CIDR list allow (comma-free, up to 4). */
static const char *
refusal(const char *addr, const char *const *allow, int n)
{
	netaddr_cidr nets[4];
	netaddr		a;
	int			i;

	for (i = 0; i < n; i++)
		if (!netaddr_cidr_parse(allow[i], &nets[i]))
			return "bad cidr";
	if (!netaddr_parse(addr, &a))
		return "bad address";
	return netaddr_fetch_refusal(&a, nets, n);
}

/* 6. Operator exceptions (--fetch-allow-cidrs). */
static void
test_allow(void)
{
	static const char *const loop[] = {"127.0.0.0/8"};
	static const char *const two[] = {"10.1.0.0/16", "fd00::/8"};
	const char *r;

	r = refusal("127.0.0.1", NULL, 0);
	CHECK(unit_streq(r, "loopback"), "127.0.0.1 refused by default: %s", unit_show(r));
	CHECK(refusal("127.0.0.1", loop, 1) == NULL, "127.0.0.1 allowed by 127.0.0.0/8");
	CHECK(refusal("127.200.0.9", loop, 1) == NULL, "127.200.0.9 allowed by 127.0.0.0/8");
	CHECK(refusal("::ffff:127.0.0.1", loop, 1) == NULL, "mapped 127.0.0.1 allowed by 127.0.0.0/8");
	r = refusal("::1", loop, 1);
	CHECK(unit_streq(r, "loopback"), "::1 still refused: %s", unit_show(r));
	r = refusal("10.0.0.1", loop, 1);
	CHECK(unit_streq(r, "private"), "10.0.0.1 still refused: %s", unit_show(r));
	r = refusal("169.254.169.254", loop, 1);
	CHECK(unit_streq(r, "link-local"), "metadata still refused: %s", unit_show(r));
	CHECK(refusal("10.1.2.3", two, 2) == NULL, "10.1.2.3 allowed by 10.1.0.0/16");
	r = refusal("10.2.0.1", two, 2);
	CHECK(unit_streq(r, "private"), "10.2.0.1 refused beside 10.1.0.0/16: %s", unit_show(r));
	CHECK(refusal("fd00::5", two, 2) == NULL, "fd00::5 allowed by fd00::/8");
	CHECK(refusal("8.8.8.8", two, 2) == NULL, "a global address is allowed");
}

int
main(void)
{
	check_cases("v4", v4_cases, NELEM(v4_cases));
	check_cases("v6", v6_cases, NELEM(v6_cases));
	check_cases("embedded", embedded_cases, NELEM(embedded_cases));
	test_parse();
	test_cidr();
	test_allow();
	return unit_done("netaddr");
}
