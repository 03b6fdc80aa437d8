/* ipcomp.c: IPComp with zlib's raw deflate (ipcomp.h). */
#include "ipcomp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "salive.h"

/* crypto/deflate.c: DEFLATE_DEF_LEVEL, DEFLATE_DEF_WINBITS,
 * DEFLATE_DEF_MEMLEVEL (the kernel's zlib has MAX_MEM_LEVEL 8). */
#define DEF_LEVEL Z_DEFAULT_COMPRESSION
#define DEF_WBITS 11
#define DEF_MEMLEVEL 8
#define INF_WBITS 15

struct ipcomp_z {
	z_stream def, inf;
	int def_ok, inf_ok;
	uint8_t buf[PKT_BUF_SIZE];
};

int ipcomp_z_new(struct ipcomp_z **out)
{
	struct ipcomp_z *z = calloc(1, sizeof(*z));

	*out = NULL;
	if (!z)
		return -ENOMEM;
	z->def_ok = deflateInit2(&z->def, DEF_LEVEL, Z_DEFLATED, -DEF_WBITS, DEF_MEMLEVEL,
				 Z_DEFAULT_STRATEGY) == Z_OK;
	z->inf_ok = inflateInit2(&z->inf, -INF_WBITS) == Z_OK;
	if (!z->def_ok || !z->inf_ok) {
		ipcomp_z_free(z);
		return -ENOMEM;
	}
	*out = z;
	return 0;
}

void ipcomp_z_free(struct ipcomp_z *z)
{
	if (!z)
		return;
	if (z->def_ok)
		deflateEnd(&z->def);
	if (z->inf_ok)
		inflateEnd(&z->inf);
	free(z);
}

int ipcomp_encap(struct ipcomp_z *z, struct pkt *p, size_t hlen, size_t nh_off, uint16_t cpi)
{
	uint8_t *d = pkt_data(p), *h;
	size_t plen, clen;

	if (hlen > p->len || nh_off >= hlen)
		return 1;
	plen = p->len - hlen;
	if (plen < IPCOMP_THRESHOLD)
		return 1;
	if (deflateReset(&z->def) != Z_OK)
		return 1;
	z->def.next_in = d + hlen;
	z->def.avail_in = (uInt)plen;
	z->def.next_out = z->buf;
	/* larger than this would not pay: stop there */
	z->def.avail_out = (uInt)(plen - IPCOMP_HDR_LEN);
	if (deflate(&z->def, Z_FINISH) != Z_STREAM_END)
		return 1;
	clen = z->def.total_out;
	if (clen + IPCOMP_HDR_LEN >= plen)
		return 1;
	/* the compressed payload and the header replace the payload */
	h = d + hlen;
	h[0] = d[nh_off];
	h[1] = 0;
	h[2] = (uint8_t)(cpi >> 8);
	h[3] = (uint8_t)cpi;
	memcpy(h + IPCOMP_HDR_LEN, z->buf, clen);
	pkt_trim(p, hlen + IPCOMP_HDR_LEN + clen);
	d[nh_off] = 108;
	return 0;
}

int ipcomp_decap(struct ipcomp_z *z, struct pkt *p, size_t hlen, size_t nh_off)
{
	uint8_t *d = pkt_data(p), nh;
	size_t room, dlen;
	int r;

	if (hlen + IPCOMP_HDR_LEN > p->len || nh_off >= hlen)
		return -DP_DROP_MALFORMED;
	if (d[hlen + 1] != 0)
		return -DP_DROP_INFLATE;
	nh = d[hlen];
	room = PKT_MAX_IP - hlen;
	if (room > IPCOMP_MAX_OUT)
		room = IPCOMP_MAX_OUT;
	if (room > pkt_tailroom(p) + p->len - hlen)
		room = pkt_tailroom(p) + p->len - hlen;
	if (inflateReset(&z->inf) != Z_OK)
		return -DP_DROP_INFLATE;
	z->inf.next_in = d + hlen + IPCOMP_HDR_LEN;
	z->inf.avail_in = (uInt)(p->len - hlen - IPCOMP_HDR_LEN);
	z->inf.next_out = z->buf;
	/* one byte more than allowed: a stream that fills it is too big */
	z->inf.avail_out = (uInt)room + 1;
	r = inflate(&z->inf, Z_FINISH);
	dlen = z->inf.total_out;
	if (r != Z_STREAM_END || dlen > room)
		return -DP_DROP_INFLATE;
	memcpy(d + hlen, z->buf, dlen);
	p->len = hlen + dlen;
	d[nh_off] = nh;
	return 0;
}
