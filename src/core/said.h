/* said.h: SA identifiers (SAIDs) and IP addresses as text, KLIPS style.
 *
 * Parses what KLIPS ttosa() accepted with numeric addresses and prints the
 * satot() formats.  No DNS, no I/O, no allocation: pure functions that the
 * config parser, the renderer and the command line share.
 */
#ifndef SPIGRP_SAID_H
#define SPIGRP_SAID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* IP protocol numbers of the SA kinds KLIPS knew. */
enum said_proto {
	SAID_PROTO_TUN = 4,    /* IPIP: bookkeeping SPI only */
	SAID_PROTO_ESP = 50,
	SAID_PROTO_AH = 51,
	SAID_PROTO_INT = 61,   /* "internal": the magic %pass, %drop, ... */
	SAID_PROTO_COMP = 108, /* IPComp: the SPI is the 16-bit CPI */
};

/* SPIs of the magic `int` SAs (KLIPS SPI_PASS ... SPI_TRAPSUBNET). */
enum said_magic {
	SAID_SPI_PASS = 256,
	SAID_SPI_DROP = 257,
	SAID_SPI_REJECT = 258,
	SAID_SPI_HOLD = 259,
	SAID_SPI_TRAP = 260,
	SAID_SPI_TRAPSUBNET = 261,
};

/* An IPv4 or IPv6 address.  family is AF_INET or AF_INET6 (0 = unset);
 * the bytes are in network order; an IPv4 address uses b[0..3], the rest is 0. */
struct ip_addr {
	uint8_t family;
	union {
		uint8_t b[16];
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* An address prefix (selector, traffic selector): addr with host bits zero. */
struct ip_prefix {
	struct ip_addr addr;
	uint8_t len; /* bits: 0..32 or 0..128 */
};

/* SA identifier: the (proto, SPI, destination) triple that names an SA,
 * which is also the XFRM state key (daddr, spi, proto). */
struct said {
	uint8_t proto;       /* enum said_proto (any IP protocol number) */
	uint32_t spi;        /* host order; for COMP the CPI (< 0x10000) */
	struct ip_addr dst;  /* destination address; family = SAID family */
};

/* Buffer sizes including the NUL, as KLIPS: SATOT_BUF, ADDRTOT_BUF. */
#define SAID_BUF 102
#define IP_ADDR_BUF 73
#define IP_PREFIX_BUF (IP_ADDR_BUF + 4)

/* Length of an address in bytes: 4, 16, or 0 when family is unset. */
size_t ip_addr_len(const struct ip_addr *a);
bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);
bool ip_addr_is_any(const struct ip_addr *a); /* 0.0.0.0 or :: */

/**
 * ip_addr_parse() - parse a numeric IPv4 (dotted quad) or IPv6 address.
 * @text: NUL-terminated input; no DNS names (error says so).
 * @out: filled on success.
 * @err/@errlen: on failure a message naming the bad part (may be NULL).
 * Return: 0, or -EINVAL.
 */
int ip_addr_parse(const char *text, struct ip_addr *out, char *err, size_t errlen);

/**
 * ip_addr_format() - print an address as KLIPS addrtot() format 0 did:
 * IPv4 dotted decimal; IPv6 lowercase groups without leading zeros, with the
 * FIRST run of two or more zero groups squashed to "::" (not the longest, as
 * RFC 5952 would).  Writes at most @len bytes including the NUL.
 * Return: the length of the full text (snprintf semantics).
 */
size_t ip_addr_format(const struct ip_addr *a, char *buf, size_t len);

/**
 * ip_prefix_parse() - parse "ADDR/LEN" or a bare ADDR (host prefix).
 * Host bits must be zero (error otherwise, naming the prefix).
 * Return: 0, or -EINVAL with a message in @err.
 */
int ip_prefix_parse(const char *text, struct ip_prefix *out, char *err, size_t errlen);
size_t ip_prefix_format(const struct ip_prefix *p, char *buf, size_t len);
bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);

/**
 * said_parse() - parse a SAID as KLIPS ttosa() did, numeric addresses only.
 *
 * Accepted: "<proto><af><hexspi>@<addr>" with af '.' (IPv4) or ':' (IPv6),
 * "<proto>0x<hex>@<addr>", "<proto><decimal>@<addr>" (a leading 0 is octal,
 * as ttosa), upper-case hex digits, protocols ah, esp, tun, comp, int, and
 * the magic names %pass %drop %reject %hold %trap %trapsubnet (int SAs to
 * 0.0.0.0) and %passthrough %passthrough4 %passthrough6 (tun SPI 0 to the
 * unspecified address).  An SPI that does not fit 32 bits is an error.
 * The af character must match the address family.
 * @err: message naming the bad part, e.g. "bad SPI \"78x\" in \"esp78x@1.2.3.4\": not a number".
 * Return: 0, or -EINVAL.
 */
int said_parse(const char *text, struct said *out, char *err, size_t errlen);

/**
 * said_format() - print a SAID as KLIPS satot() did.
 * @fmt: '0' (seed form esp.187a101b@192.0.2.1, esp:1@::1),
 *       'x' (esp0x187a101b@192.0.2.1, what KLIPS /proc printed),
 *       'f' (SPI zero-padded to 8 hex digits, with af char),
 *       'd' (decimal SPI, no af char).
 * Magic SAs print by name whatever @fmt says (%pass, %passthrough4, ...).
 * Return: length of the full text (snprintf semantics), 0 for an unknown @fmt.
 */
size_t said_format(const struct said *s, char fmt, char *buf, size_t len);

/* Value of hex digit @c (either case), or -1. */
int said_hex_digit(char c);

/* Name of a SAID protocol as its prefix ("esp"), NULL if it has none. */
const char *said_proto_name(uint8_t proto);
bool said_equal(const struct said *a, const struct said *b);
/* True for the magic shunt SAIDs (%pass, %drop, ..., %passthrough*). */
bool said_is_magic(const struct said *s);

#endif
