/* ipip.c: the tun SA's outer header (ipip.h). */
#include "ipip.h"

#include <string.h>
#include <sys/socket.h>

#include "ipx.h"
#include "salive.h"

#define ECN_MASK 3u
#define ECN_CE 3u
#define ECN_ECT0 2u
#define ECN_ECT1 1u
#define ECN_NOT 0u
#define IPV4_DF 0x40u   /* in the high byte of the flags/offset field */
#define TUN_TTL 64u

size_t ipip_overhead(uint8_t family)
{
	return family == AF_INET ? IPV4_HDR_LEN : IPV6_HDR_LEN;
}

/* RFC 6040 section 4.1, normal mode: DSCP and ECN copied, CE as ECT(0). */
static uint8_t ecn_encap(uint8_t inner_ds)
{
	if ((inner_ds & ECN_MASK) == ECN_CE)
		return (uint8_t)((inner_ds & ~ECN_MASK) | ECN_ECT0);
	return inner_ds;
}

int ipip_ecn_decap(uint8_t inner, uint8_t outer)
{
	inner &= ECN_MASK;
	outer &= ECN_MASK;
	if (inner == ECN_NOT)
		return outer == ECN_CE ? -1 : (int)ECN_NOT;
	if (inner == ECN_CE || outer == ECN_CE)
		return ECN_CE;
	if (outer == ECN_ECT1)
		return ECN_ECT1;
	return inner;
}

int ipip_encap(struct pkt *p, const struct ip_addr *src, const struct ip_addr *dst, uint16_t id)
{
	const uint8_t *in = pkt_data(p);
	uint8_t ds, inner_family, flow[3] = { 0, 0, 0 };
	bool df;
	size_t hl, alen;
	uint8_t *o;

	if (p->len < IPV4_HDR_LEN || src->family != dst->family)
		return -DP_DROP_MALFORMED;
	switch (in[0] >> 4) {
	case 4:
		inner_family = AF_INET;
		df = in[6] & IPV4_DF;
		break;
	case 6:
		if (p->len < IPV6_HDR_LEN)
			return -DP_DROP_MALFORMED;
		inner_family = AF_INET6;
		df = true;
		flow[0] = in[1] & 0x0f;
		flow[1] = in[2];
		flow[2] = in[3];
		break;
	default:
		return -DP_DROP_MALFORMED;
	}
	ds = ecn_encap(ipx_dsfield(in, inner_family));
	hl = ipip_overhead(dst->family);
	alen = ip_addr_len(dst);
	if (p->len + hl > PKT_MAX_IP || !(o = pkt_push(p, hl)))
		return -DP_DROP_MALFORMED;
	memset(o, 0, hl);
	if (dst->family == AF_INET) {
		o[0] = 0x45;
		o[1] = ds;
		if (df)
			o[6] = IPV4_DF;
		o[4] = (uint8_t)(id >> 8);
		o[5] = (uint8_t)id;
		o[8] = TUN_TTL;
		o[9] = inner_family == AF_INET ? IPX_IPIP : IPX_IPV6;
		memcpy(o + 12, src->b, alen);
		memcpy(o + 16, dst->b, alen);
	} else {
		o[0] = (uint8_t)(0x60 | ds >> 4);
		o[1] = (uint8_t)((ds & 0x0f) << 4 | flow[0]);
		o[2] = flow[1];
		o[3] = flow[2];
		o[6] = inner_family == AF_INET ? IPX_IPIP : IPX_IPV6;
		o[7] = TUN_TTL;
		memcpy(o + 8, src->b, alen);
		memcpy(o + 24, dst->b, alen);
	}
	ipx_fix_len(o, dst->family, p->len);
	ipx_fix_csum(o);
	return 0;
}

int ipip_decap(struct pkt *p, size_t hlen, uint8_t nh, uint8_t outer_ds)
{
	struct ipx x;
	uint8_t *in;
	uint8_t ds;
	int ecn;

	if (pkt_pull(p, hlen) < 0)
		return -DP_DROP_MALFORMED;
	in = pkt_data(p);
	if (ipx_parse(in, p->len, IPX_IN, &x) < 0 ||
	    x.family != (nh == IPX_IPIP ? AF_INET : AF_INET6))
		return -DP_DROP_MALFORMED;
	if (x.family == AF_INET && ipx_csum4(in, x.hlen) != (uint16_t)(in[10] << 8 | in[11]))
		return -DP_DROP_MALFORMED;
	pkt_trim(p, x.len); /* TFC padding */
	ds = ipx_dsfield(in, x.family);
	ecn = ipip_ecn_decap(ds, outer_ds);
	if (ecn < 0)
		return -DP_DROP_MALFORMED;
	if ((unsigned)ecn != (ds & ECN_MASK))
		ipx_set_dsfield(in, x.family, (uint8_t)((ds & ~ECN_MASK) | ecn));
	return 0;
}
