/* ipx.c: IPv4/IPv6 header walking for the transforms (ipx.h). */
#include "ipx.h"

#include <sys/socket.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int parse4(const uint8_t *d, size_t len, struct ipx *x)
{
	size_t ihl = (size_t)(d[0] & 0x0f) * 4, tot;
	uint16_t frag;

	if (len < IPV4_HDR_LEN || ihl < IPV4_HDR_LEN || ihl > len)
		return -1;
	tot = get16(d + 2);
	if (tot < ihl || tot > len)
		return -1;
	frag = get16(d + 6);
	x->family = AF_INET;
	x->nh = d[9];
	x->nh_off = 9;
	x->hlen = ihl;
	x->len = tot;
	x->frag = (frag & 0x3fff) != 0;  /* MF or an offset */
	x->first = (frag & 0x1fff) == 0;
	return 0;
}

/* Is the IPv6 extension header @nh walked past under @walk?  @rhdr: a
 * routing header was seen before it. */
static bool walk6(uint8_t nh, enum ipx_walk walk, bool rhdr)
{
	switch (nh) {
	case IPX_HOPOPTS:
	case IPX_ROUTING:
		return true;
	case IPX_DSTOPTS:
		return walk != IPX_OUT || !rhdr;
	case IPX_FRAGMENT:
		return walk == IPX_L4;
	default:
		return false;
	}
}

static int parse6(const uint8_t *d, size_t len, enum ipx_walk walk, struct ipx *x)
{
	size_t off = IPV6_HDR_LEN, nh_off = 6, tot;
	bool rhdr = false;
	uint8_t nh;

	if (len < IPV6_HDR_LEN)
		return -1;
	tot = IPV6_HDR_LEN + get16(d + 4);
	if (tot == IPV6_HDR_LEN && d[6] == IPX_HOPOPTS)
		return -1; /* a jumbogram, or an empty datagram with options */
	if (tot > len)
		return -1;
	x->frag = false;
	x->first = true;
	nh = d[6];
	while (walk6(nh, walk, rhdr)) {
		size_t hl;

		if (off + 8 > tot)
			return -1;
		if (nh == IPX_FRAGMENT) {
			hl = 8;
			x->frag = true;
			x->first = (get16(d + off + 2) & 0xfff8) == 0;
		} else {
			hl = ((size_t)d[off + 1] + 1) * 8;
		}
		if (off + hl > tot)
			return -1;
		if (nh == IPX_ROUTING)
			rhdr = true;
		nh_off = off;
		nh = d[off];
		off += hl;
		if (x->frag && !x->first)
			break; /* what follows is not a header */
	}
	x->family = AF_INET6;
	x->nh = nh;
	x->nh_off = nh_off;
	x->hlen = off;
	x->len = tot;
	return 0;
}

int ipx_parse(const uint8_t *d, size_t len, enum ipx_walk walk, struct ipx *x)
{
	if (len < 1)
		return -1;
	switch (d[0] >> 4) {
	case 4:
		return parse4(d, len, x);
	case 6:
		return parse6(d, len, walk, x);
	default:
		return -1;
	}
}

uint32_t ipx_sum(const uint8_t *d, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		sum += get16(d + i);
		if (sum >> 31) /* fold before it can overflow */
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < n)
		sum += (uint32_t)d[i] << 8;
	return sum;
}

uint16_t ipx_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t ipx_csum4(const uint8_t *h, size_t hlen)
{
	if (hlen < IPV4_HDR_LEN)
		return 0;
	/* the checksum field counts as zero */
	return ipx_fold(ipx_sum(h + 12, hlen - 12, ipx_sum(h, 10, 0)));
}

void ipx_fix_len(uint8_t *d, uint8_t family, size_t len)
{
	if (family == AF_INET)
		put16(d + 2, (uint16_t)len);
	else
		put16(d + 4, (uint16_t)(len - IPV6_HDR_LEN));
}

void ipx_fix_csum(uint8_t *d)
{
	if (d[0] >> 4 == 4 && (d[0] & 0x0f) >= 5)
		put16(d + 10, ipx_csum4(d, (size_t)(d[0] & 0x0f) * 4));
}

uint8_t ipx_dsfield(const uint8_t *d, uint8_t family)
{
	if (family == AF_INET)
		return d[1];
	return (uint8_t)((d[0] & 0x0f) << 4 | d[1] >> 4);
}

void ipx_set_dsfield(uint8_t *d, uint8_t family, uint8_t ds)
{
	if (family == AF_INET) {
		d[1] = ds;
		ipx_fix_csum(d);
		return;
	}
	d[0] = (uint8_t)(0x60 | ds >> 4);
	d[1] = (uint8_t)((ds & 0x0f) << 4 | (d[1] & 0x0f));
}

const uint8_t *ipx_src(const uint8_t *d, uint8_t family)
{
	return family == AF_INET ? d + 12 : d + 8;
}

const uint8_t *ipx_dst(const uint8_t *d, uint8_t family)
{
	return family == AF_INET ? d + 16 : d + 24;
}

bool ipx_ports(const uint8_t *l4, size_t n, uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	switch (proto) {
	case IPX_TCP:
	case IPX_UDP:
	case IPX_UDPLITE:
	case IPX_SCTP:
	case IPX_DCCP:
		if (n < 4)
			return false;
		*sport = get16(l4);
		*dport = get16(l4 + 2);
		return true;
	case IPX_ICMP:
	case IPX_ICMPV6:
		if (n < 2)
			return false;
		*sport = l4[0];
		*dport = l4[1];
		return true;
	default:
		return false;
	}
}
