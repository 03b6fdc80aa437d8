/* ipx.h: the outermost IPv4/IPv6 header of a datagram, as the transforms
 * need it: where a transform header goes (or is found), the byte that names
 * what follows, lengths and the IPv4 header checksum.
 *
 * Outbound placement follows the kernel (ip6_find_1stfragopt(), used by
 * XFRM's IPv6 transport output): after the IPv4 header with its options;
 * after the IPv6 header and the hop-by-hop, routing and destination
 * options headers that follow it, up to a destination options header that
 * comes after a routing header (that one, meant for the final destination,
 * stays behind the transform header, as does everything else).  Inbound, every hop-by-hop, routing and destination
 * options header in front of the transform is skipped, as the kernel's
 * receive path processes them before it meets AH or ESP.
 * Pure: no I/O, no allocation; the datagram is never changed except by the
 * ipx_fix_*() functions.
 */
#ifndef SPIGRP_IPX_H
#define SPIGRP_IPX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_LEN 20u
#define IPV6_HDR_LEN 40u

/* IP protocol / IPv6 next header numbers used here. */
enum {
	IPX_HOPOPTS = 0,
	IPX_ICMP = 1,
	IPX_IPIP = 4,
	IPX_TCP = 6,
	IPX_UDP = 17,
	IPX_IPV6 = 41,
	IPX_ROUTING = 43,
	IPX_FRAGMENT = 44,
	IPX_ESP = 50,
	IPX_AH = 51,
	IPX_ICMPV6 = 58,
	IPX_NONE = 59,
	IPX_DSTOPTS = 60,
	IPX_SCTP = 132,
	IPX_UDPLITE = 136,
	IPX_COMP = 108,
	IPX_DCCP = 33,
};

/* How ipx_parse() walks IPv6 extension headers. */
enum ipx_walk {
	IPX_OUT,   /* where an outbound transform header goes (kernel placement) */
	IPX_IN,    /* to the first header that is not hop-by-hop, routing or
		      destination options (an inbound transform header) */
	IPX_L4,    /* to the upper-layer header, fragment headers included (the
		      selector check) */
};

struct ipx {
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t nh;      /* the protocol of what starts at hlen */
	size_t hlen;     /* bytes in front of that: IP header, options, the
			    extension headers walked */
	size_t nh_off;   /* offset of the byte holding nh (IPv4 protocol field,
			    or the next-header byte of the last header walked) */
	size_t len;      /* datagram length per its header (total length, or
			    40 + payload length), <= the bytes given */
	bool frag;       /* a fragment: IPv4 MF or offset set, or an IPv6
			    fragment header walked (IPX_L4) */
	bool first;      /* a fragment at offset 0, or not a fragment */
};

/**
 * ipx_parse() - the outermost header of the datagram @d of @len bytes.
 * The version nibble decides the family.  IPv4: IHL at least 5, the header
 * and the total length inside @len.  IPv6: payload length 0 (jumbogram) is
 * refused; every extension header walked must fit.  Bytes after the length
 * the header gives (link padding) are not the datagram's (x->len says).
 * Return: 0 and *@x, or -1 when the header is short, cut or inconsistent.
 */
int ipx_parse(const uint8_t *d, size_t len, enum ipx_walk walk, struct ipx *x);

/* The one's complement sum (RFC 1071) of @n bytes at @d added to @sum,
 * unfolded; ipx_fold() folds and complements it into a checksum. */
uint32_t ipx_sum(const uint8_t *d, size_t n, uint32_t sum);
uint16_t ipx_fold(uint32_t sum);

/* The IPv4 header checksum of the @hlen-byte header @h, as stored (its own
 * checksum field is taken as zero); 0 for @hlen < 20. */
uint16_t ipx_csum4(const uint8_t *h, size_t hlen);

/**
 * ipx_fix_len() - set the length field of the datagram at @d (family
 * @family) to @len bytes: IPv4 total length, IPv6 payload length (@len -
 * 40).  The IPv4 checksum is left alone (ipx_fix_csum()).
 */
void ipx_fix_len(uint8_t *d, uint8_t family, size_t len);

/* Recompute the IPv4 header checksum of the datagram at @d, whose header
 * (IHL) the caller knows to be there (no-op for IPv6 and an IHL below 5). */
void ipx_fix_csum(uint8_t *d);

/* The DSCP and ECN byte (IPv4 TOS, IPv6 traffic class) of the datagram at
 * @d of @family. */
uint8_t ipx_dsfield(const uint8_t *d, uint8_t family);
/* Set it; for IPv4 the checksum is updated. */
void ipx_set_dsfield(uint8_t *d, uint8_t family, uint8_t ds);

/* The source and destination addresses (network order) of the datagram at
 * @d: pointers into it, 4 or 16 bytes by @family. */
const uint8_t *ipx_src(const uint8_t *d, uint8_t family);
const uint8_t *ipx_dst(const uint8_t *d, uint8_t family);

/**
 * ipx_ports() - the selector view of the upper-layer header at @l4 (@n
 * bytes available) of protocol @proto: source and destination ports (host
 * order) for TCP, UDP, UDP-Lite, SCTP and DCCP; ICMP and ICMPv6 type as
 * the source, code as the destination (as XFRM selectors match them).
 * Return: true with *@sport, *@dport; false when @proto has no ports or
 * @n is too short.
 */
bool ipx_ports(const uint8_t *l4, size_t n, uint8_t proto, uint16_t *sport, uint16_t *dport);

#endif
