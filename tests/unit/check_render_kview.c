/* check_render_kview.c: the files rendered from a kview (ipsec_spi,
 * ipsec_eroute, ipsec_spigrp's foreign lines, ipsec_tncfg, klipsdebug,
 * natt) against KLIPS's own lines (spec/klips-formats.md sections 4 and 5,
 * adapted where XFRM has no such field: no iv=, flags=, refcount=, ref=,
 * refhim=), and our part of a kview filled from a real model (config text
 * -> sadb_build() -> rt_new()).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_test.h"
#include "kview_own.h"
#include "render.h"
#include "replay.h"
#include "salive.h"

static struct said said_of(const char *text)
{
	struct said s;
	char err[256] = "";

	ck_assert_msg(said_parse(text, &s, err, sizeof(err)) == 0, "%s", err);
	return s;
}

static struct ip_addr addr_of(const char *text)
{
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(text, &a, NULL, 0), 0);
	return a;
}

static struct ip_prefix prefix_of(const char *text)
{
	struct ip_prefix p;

	ck_assert_int_eq(ip_prefix_parse(text, &p, NULL, 0), 0);
	return p;
}

static void assert_text(struct strbuf *b, const char *want)
{
	ck_assert_ptr_nonnull(b->s);
	ck_assert_msg(b->len == strlen(want) && memcmp(b->s, want, b->len) == 0,
		      "got\n[%.*s]\nwant\n[%s]", (int)b->len, b->s, want);
	ck_assert_int_eq(b->oom, 0);
	strbuf_free(b);
}

#define NOW 1700000000ull

/* KLIPS test suite (east-icmp-02): esp0x12345678@192.1.2.45
 * ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 iv_bits=64bits
 * iv=0xDEADF00DDEADF00D alen=128 aklen=128 eklen=192 life(c,s,h)=
 * natencap=none natsport=0 natdport=0 refcount=3 ref=1 refhim=0 */
START_TEST(test_spi_klips_esp)
{
	struct kview v = { 0 };
	struct kv_sa sa = { 0 };
	struct strbuf b = STRBUF_INIT;

	sa.said = said_of("esp0x12345678@192.1.2.45");
	sa.src = addr_of("192.1.2.23");
	sa.dir = SADB_DIR_OUT;
	strcpy(sa.enc, "cbc(des3_ede)");
	strcpy(sa.auth, "hmac(md5)");
	sa.ekey_bits = 192;
	sa.akey_bits = 128;
	sa.icv_bits = 128;
	ck_assert_int_eq(kview_add_sa(&v, &sa), 0);
	ck_assert_int_eq(render_spi(&v, CFG_SAID_X, NOW, &b), 0);
	assert_text(&b, "esp0x12345678@192.1.2.45 ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 "
			"alen=128 aklen=128 eklen=192 life(c,s,h)= natencap=none natsport=0 "
			"natdport=0\n");
	kview_clear(&v);
}
END_TEST

/* klips-ikev2-liveness-01 (libreswan 3.20): the two IPIP lines, with
 * add and first use 99 s ago, last use 96 s ago, NAT-T on 4500. */
START_TEST(test_spi_klips_ipip)
{
	struct kview v = { 0 };
	struct kv_sa sa = { 0 };
	struct strbuf b = STRBUF_INIT;

	sa.said = said_of("tun0x1001@192.1.2.45");
	sa.src = addr_of("192.1.2.23");
	sa.dir = SADB_DIR_IN;
	sa.has_policy = true;
	sa.policy_src = prefix_of("192.0.2.0/24");
	sa.policy_dst = prefix_of("192.0.1.0/24");
	sa.bytes = 336;
	sa.packets = 4;
	sa.add_time = sa.use_time = NOW - 99;
	sa.last_used = NOW - 96;
	sa.encap_type = 2;
	sa.encap_sport = sa.encap_dport = 4500;
	ck_assert_int_eq(kview_add_sa(&v, &sa), 0);
	sa.said = said_of("tun0x1000@192.1.2.23");
	sa.src = addr_of("192.1.2.45");
	sa.dir = SADB_DIR_OUT;
	sa.has_policy = false;
	sa.bytes = 416;
	ck_assert_int_eq(kview_add_sa(&v, &sa), 1);
	ck_assert_int_eq(render_spi(&v, CFG_SAID_X, NOW, &b), 0);
	assert_text(&b,
		    "tun0x1001@192.1.2.45 IPIP: dir=in  src=192.1.2.23 "
		    "policy=192.0.2.0/24->192.0.1.0/24 life(c,s,h)=bytes(336,0,0)addtime(99,0,0)"
		    "usetime(99,0,0)packets(4,0,0) idle=96 natencap=nonesp natsport=4500 "
		    "natdport=4500\n"
		    "tun0x1000@192.1.2.23 IPIP: dir=out src=192.1.2.45 life(c,s,h)=bytes(416,0,0)"
		    "addtime(99,0,0)usetime(99,0,0)packets(4,0,0) idle=96 natencap=nonesp "
		    "natsport=4500 natdport=4500\n");
	kview_clear(&v);
}
END_TEST

/* Names of what XFRM has; fields KLIPS printed only when non-zero; ours
 * first whatever the order of the kview; limits; labels; keys never (a
 * kv_sa has none to print). */
START_TEST(test_spi_fields)
{
	static const struct {
		const char *enc, *auth, *comp;
		bool aead;
		unsigned icv;
		uint8_t proto;
		const char *want;
	} x[] = {
		{ "cbc(aes)", "hmac(sha1)", "", false, 96, 50, "ESP_AES_HMAC_SHA1" },
		{ "cbc(aes)", "hmac(sha256)", "", false, 128, 50, "ESP_AES_HMAC_SHA2_256" },
		{ "rfc4106(gcm(aes))", "", "", true, 128, 50, "ESP_AES_GCM_16" },
		{ "rfc4106(gcm(aes))", "", "", true, 64, 50, "ESP_AES_GCM_8" },
		{ "rfc7539esp(chacha20,poly1305)", "", "", true, 128, 50,
		  "ESP_CHACHA20_POLY1305" },
		{ "ecb(cipher_null)", "hmac(sha512)", "", false, 256, 50,
		  "ESP_NULL_HMAC_SHA2_512" },
		{ "", "hmac(sha384)", "", false, 192, 51, "AH_HMAC_SHA2_384" },
		{ "", "xcbc(aes)", "", false, 96, 51, "AH_AES_XCBC" },
		{ "", "", "deflate", false, 0, 108, "COMP_DEFLATE" },
		{ "", "", "lzs", false, 0, 108, "COMP_LZS" },
		{ "cbc(sm4)", "hmac(sm3)", "", false, 256, 50, "ESP_CBC_SM4_HMAC_SM3" },
		{ "", "", "", false, 0, 4, "IPIP" },
		{ "", "", "", false, 0, 41, "UNKNOWN_proto" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		struct kv_sa sa = { 0 };

		strcpy(sa.enc, x[i].enc);
		strcpy(sa.auth, x[i].auth);
		strcpy(sa.comp, x[i].comp);
		sa.aead = x[i].aead;
		sa.icv_bits = x[i].icv;
		sa.said.proto = x[i].proto;
		ck_assert_uint_eq(render_xform(&sa, buf, sizeof(buf)), strlen(x[i].want));
		ck_assert_str_eq(buf, x[i].want);
	}
	ck_assert_uint_eq(render_xform(&(struct kv_sa){ .said.proto = 50, .enc = "cbc(aes)" },
				       buf, 4),
			  7);
	ck_assert_str_eq(buf, "ESP");
}
END_TEST

START_TEST(test_spi_counters_and_order)
{
	struct kview v = { 0 };
	struct kv_sa sa = { 0 };
	struct strbuf b = STRBUF_INIT;

	/* a foreign one first in the kview */
	sa.said = said_of("esp0xc1a2b3c4@2001:db8::2");
	sa.src = addr_of("2001:db8::1");
	sa.dir = SADB_DIR_NONE;
	strcpy(sa.enc, "rfc4106(gcm(aes))");
	sa.aead = true;
	sa.icv_bits = 128;
	sa.ekey_bits = 160;
	sa.replay_window = 32;
	sa.replay_errs = 2;
	sa.replay_window_errs = 1;
	sa.integrity_errs = 5;
	sa.seq = 77;
	sa.reqid = 1;
	strcpy(sa.label, "net net\x01");
	ck_assert_int_eq(kview_add_sa(&v, &sa), 0);
	memset(&sa, 0, sizeof(sa));
	sa.said = said_of("comp.3d0@192.168.2.110");
	sa.src = addr_of("192.168.2.100");
	sa.dir = SADB_DIR_OUT;
	strcpy(sa.comp, "deflate");
	sa.life.soft_bytes = 1000;
	sa.life.hard_bytes = 2000;
	sa.life.hard_seconds = 3600;
	sa.life.soft_packets = 10;
	sa.add_time = NOW - 5;
	sa.reqid = 16384;
	sa.ours = true;
	strcpy(sa.label, "seed");
	ck_assert_int_eq(kview_add_sa(&v, &sa), 1);
	ck_assert_int_eq(render_spi(&v, CFG_SAID_SEED, NOW, &b), 0);
	assert_text(&b,
		    "comp.3d0@192.168.2.110 COMP_DEFLATE: dir=out src=192.168.2.100 "
		    "life(c,s,h)=bytes(0,1000,2000)addtime(5,0,3600)packets(0,10,0) "
		    "natencap=none natsport=0 natdport=0 reqid=16384 label=seed\n"
		    "esp:c1a2b3c4@2001:db8::2 ESP_AES_GCM_16: src=2001:db8::1 ooowin=32 "
		    "ooo_errs=3 seq=77 alen=128 auth_errs=5 eklen=160 life(c,s,h)= "
		    "natencap=none natsport=0 natdport=0 reqid=1 label=net\\x20net\\x01\n");
	ck_assert_int_eq(render_spi(&v, 7, NOW, &b), -EINVAL);
	strbuf_free(&b);
	ck_assert_int_eq(render_spi(NULL, CFG_SAID_X, NOW, &b), 0);
	assert_text(&b, "");
	kview_clear(&v);
}
END_TEST

static void add_er(struct kview *v, uint64_t count, const char *src, const char *dst,
		   const char *said, uint8_t proto, uint16_t sp, uint16_t dp, bool ours)
{
	struct kv_eroute e = { .count = count, .proto = proto, .sport = sp, .dport = dp,
			       .ours = ours };

	e.src = prefix_of(src);
	e.dst = prefix_of(dst);
	e.said = said_of(said);
	ck_assert_int_ge(kview_add_eroute(v, &e), 0);
}

/* KLIPS's lines (east-replace-01, east-trap-01) byte for byte, then ports,
 * protocols, IPv6 (libreswan 3.x's [prefix]:port), ours first. */
START_TEST(test_eroute_klips)
{
	struct kview v = { 0 };
	struct strbuf b = STRBUF_INIT;

	add_er(&v, 0, "192.0.2.0/24", "192.0.1.0/24", "tun0x12345678@192.1.2.45", 0, 0, 0, true);
	add_er(&v, 1, "192.0.2.0/24", "192.0.1.0/24", "%trap", 0, 0, 0, true);
	add_er(&v, 7, "192.0.2.1/32", "192.0.1.1/32", "%hold", 0, 0, 0, true);
	ck_assert_int_eq(render_eroute(&v, CFG_SAID_X, &b), 0);
	assert_text(&b,
		    "0          192.0.2.0/24       -> 192.0.1.0/24       => tun0x12345678@192.1.2.45\n"
		    "1          192.0.2.0/24       -> 192.0.1.0/24       => %trap\n"
		    "7          192.0.2.1/32       -> 192.0.1.1/32       => %hold\n");
	kview_clear(&v);

	add_er(&v, 8, "2001:db8:1:2::45/128", "2001:db8:1:2::23/128",
	       "esp0x43952d72@2001:db8:1:2::23", 0, 0, 0, false);
	add_er(&v, 12345678901ull, "10.0.1.0/24", "10.0.2.0/24", "%drop", 6, 0, 22, true);
	add_er(&v, 0, "2001:db8::/32", "::/0", "esp.100@192.0.2.1", 17, 500, 0, false);
	ck_assert_int_eq(render_eroute(&v, CFG_SAID_X, &b), 0);
	assert_text(&b,
		    "12345678901 10.0.1.0/24        -> 10.0.2.0/24:22     => %drop:6\n"
		    "8          2001:db8:1:2::45/128 -> 2001:db8:1:2::23/128 => "
		    "esp0x43952d72@2001:db8:1:2::23\n"
		    "0          [2001:db8::/32]:500 -> ::/0               => esp0x100@192.0.2.1:17\n");
	ck_assert_int_eq(render_eroute(&v, CFG_SAID_SEED, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.s, "=> esp:43952d72@2001:db8:1:2::23\n"));
	strbuf_free(&b);
	kview_clear(&v);
}
END_TEST

/* Foreign groups in their order after nothing of ours; ours skipped; the
 * first SAID of a line equals its eroute's (`ipsec look` joins on it). */
START_TEST(test_spigrp_kview)
{
	struct kview v = { 0 };
	struct kv_sa sa = { 0 };
	struct kv_group g = { 0 };
	struct strbuf b = STRBUF_INIT;
	const char *saids[] = { "tun0x1002@192.1.2.45", "comp0x68dd@192.1.2.45",
				"esp0xa7d8251a@192.1.2.45", "esp0x66ad9a20@192.1.2.23",
				"esp0x1@192.0.2.9" };

	for (unsigned i = 0; i < 5; i++) {
		sa.said = said_of(saids[i]);
		ck_assert_int_eq(kview_add_sa(&v, &sa), (long)i);
	}
	g = (struct kv_group){ .sa = { 3 }, .nsa = 1, .order = 9 };
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	g = (struct kv_group){ .sa = { 0, 1, 2 }, .nsa = 3, .order = 2 };
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	g = (struct kv_group){ .sa = { 4 }, .nsa = 1, .order = 1, .ours = true };
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	ck_assert_int_eq(render_spigrp_kview(&v, CFG_SAID_X, &b), 0);
	assert_text(&b, "tun0x1002@192.1.2.45 comp0x68dd@192.1.2.45 esp0xa7d8251a@192.1.2.45 \n"
			"esp0x66ad9a20@192.1.2.23 \n");
	add_er(&v, 0, "192.0.2.0/24", "192.0.1.0/24", "tun0x1002@192.1.2.45", 0, 0, 0, false);
	ck_assert_int_eq(render_eroute(&v, CFG_SAID_X, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.s, "=> tun0x1002@192.1.2.45\n"));
	strbuf_free(&b);
	ck_assert_int_eq(render_spigrp_kview(NULL, CFG_SAID_X, &b), 0);
	assert_text(&b, "");
	kview_clear(&v);
}
END_TEST

START_TEST(test_small_files)
{
	struct render_tunif d[2] = { { "ipsec2", "eth3", 16260, 1443, 1500 },
				     { "ipsec3", "", 0, 0, 0 } };
	struct strbuf b = STRBUF_INIT;

	/* ipsec_tncfg(5)'s examples */
	ck_assert_int_eq(render_tncfg(d, 2, &b), 0);
	assert_text(&b, "ipsec2 -> eth3 mtu=16260(1443) -> 1500\nipsec3 -> NULL mtu=0(0) -> 0\n");
	ck_assert_int_eq(render_tncfg(NULL, 0, &b), 0);
	assert_text(&b, "");
	ck_assert_int_eq(render_klipsdebug(&b), 0);
	assert_text(&b, "debug_tunnel=00000000.\ndebug_xform=00000000.\ndebug_eroute=00000000.\n"
			"debug_spi=00000000.\ndebug_radij=00000000.\ndebug_esp=00000000.\n"
			"debug_ah=00000000.\ndebug_rcv=00000000.\ndebug_pfkey=00000000.\n");
	ck_assert_int_eq(render_natt(&b), 0);
	assert_text(&b, "1\n");
}
END_TEST

/* ---- our part, from a real model ---- */

static bool local_100(const struct ip_addr *a, void *arg)
{
	struct ip_addr l = addr_of(arg);

	return ip_addr_equal(a, &l);
}

#define OWN_CONF \
	"[sa tun.3d0@192.168.2.110]\nsrc = 192.168.2.100\n" \
	"[sa esp.187a101b@192.168.2.110]\nsrc = 192.168.2.100\nenc = aes128\n" \
	"enckey = " K16 "\nauth = sha1\nauthkey = " K20 "\nlife-bytes = 5000\n" \
	"[group out]\nsaid = tun.3d0@192.168.2.110 esp.187a101b@192.168.2.110\n" \
	"src-ts = 10.0.1.0/24, 10.0.3.0/24\ndst-ts = 10.0.2.0/24\n" \
	"[sa tun.3d1@192.168.2.100]\nsrc = 192.168.2.110\n" \
	"[sa esp.187a101d@192.168.2.100]\nsrc = 192.168.2.110\nenc = aes128gcm16\n" \
	"enckey = " K20 "\n" \
	"[group in]\nsaid = tun.3d1@192.168.2.100 esp.187a101d@192.168.2.100\n" \
	"src-ts = 10.0.2.0/24\ndst-ts = 10.0.1.0/24\n" \
	"[group shunt]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.9.0.0/16\n" \
	"[group later]\nsaid = esp.500@192.168.2.110\nsrc-ts = 10.0.1.0/24\n" \
	"dst-ts = 10.0.5.0/24\n" \
	"[sa esp.500@192.168.2.110]\nsrc = 192.168.2.100\nenc = aes128\nenckey = " K16 "\n" \
	"auth = sha1\nauthkey = " K20 "\n"

START_TEST(test_own)
{
	struct cfg_errors errs = { 0 };
	struct cfg *c = parse_ok(OWN_CONF);
	struct sadb *db = sadb_build(c, local_100, "192.168.2.100", &errs);
	struct runtime *rt;
	struct kview v = { 0 };
	struct strbuf b = STRBUF_INIT;
	struct rt_group *r;

	if (!db)
		dump_errors(&errs);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(db->ngroup, 4);
	for (size_t i = 0; i < db->ngroup; i++)
		db->group[i]->reqid = 16384 + (uint32_t)i;
	rt = rt_new(db);
	ck_assert_ptr_nonnull(rt);
	/* out: in the kernel, counters read; in: userspace, with its live
	 * objects; shunt installed; later still pending (not shown) */
	r = rt_of(rt, sadb_find_group(db, "out"));
	r->state = RT_INSTALLED;
	r->sa[0]->ctr.packets = r->sa[1]->ctr.packets = 42;
	r->sa[1]->ctr.bytes = 4200;
	r->sa[1]->ctr.oseq = 42;
	r->sa[1]->ctr.add_time = NOW - 10;
	r = rt_of(rt, sadb_find_group(db, "in"));
	r->state = RT_INSTALLED;
	r->place = PLACE_USERSPACE;
	r->sa[1]->ctr.packets = 3;
	r->sa[1]->ctr.integrity_errs = 1;
	r->sa[1]->live = sa_live_new(32, true);
	ck_assert_ptr_nonnull(r->sa[1]->live);
	/* inbound, userspace: seq= is the top of the window (7 accepted) */
	replay_update(&r->sa[1]->live->replay, 5);
	replay_update(&r->sa[1]->live->replay, 7);
	r->sa[1]->ctr.oseq = 99; /* what an inbound SA never shows */
	rt_of(rt, sadb_find_group(db, "shunt"))->state = RT_INSTALLED;

	ck_assert_int_eq(kview_add_own(&v, db, rt), 0);
	ck_assert_uint_eq(v.nsa, 4);
	ck_assert_uint_eq(v.ngrp, 2);
	ck_assert_uint_eq(v.ner, 3);
	for (size_t i = 0; i < v.nsa; i++)
		ck_assert(v.sa[i].ours);
	ck_assert_str_eq(v.grp[0].label, "out");
	ck_assert_uint_eq(v.grp[1].nsa, 2);

	ck_assert_int_eq(render_spi(&v, CFG_SAID_X, NOW, &b), 0);
	assert_text(&b,
		    "tun0x3d0@192.168.2.110 IPIP: dir=out src=192.168.2.100 "
		    "life(c,s,h)=packets(42,0,0) natencap=none natsport=0 natdport=0 "
		    "reqid=16384 label=out\n"
		    "esp0x187a101b@192.168.2.110 ESP_AES_HMAC_SHA1: dir=out src=192.168.2.100 "
		    "ooowin=32 seq=42 alen=96 aklen=160 eklen=128 "
		    "life(c,s,h)=bytes(4200,0,5000)addtime(10,0,0)packets(42,0,0) "
		    "natencap=none natsport=0 natdport=0 reqid=16384 label=out\n"
		    "tun0x3d1@192.168.2.100 IPIP: dir=in  src=192.168.2.110 "
		    "policy=10.0.2.0/24->10.0.1.0/24 life(c,s,h)= natencap=none natsport=0 "
		    "natdport=0 reqid=16385 label=in\n"
		    "esp0x187a101d@192.168.2.100 ESP_AES_GCM_16: dir=in  src=192.168.2.110 "
		    "ooowin=32 seq=7 alen=128 auth_errs=1 eklen=160 life(c,s,h)=packets(3,0,0) "
		    "natencap=none natsport=0 natdport=0 reqid=16385 label=in\n");
	ck_assert_int_eq(render_eroute(&v, CFG_SAID_X, &b), 0);
	assert_text(&b,
		    "42         10.0.1.0/24        -> 10.0.2.0/24        => tun0x3d0@192.168.2.110\n"
		    "42         10.0.3.0/24        -> 10.0.2.0/24        => tun0x3d0@192.168.2.110\n"
		    "0          10.0.1.0/24        -> 10.9.0.0/16        => %drop\n");
	/* the spigrp lines of ours come from the model: same first SAIDs */
	ck_assert_int_eq(render_spigrp(db, rt, CFG_SAID_X, &b), 0);
	assert_text(&b, "tun0x3d0@192.168.2.110 esp0x187a101b@192.168.2.110 \n"
			"tun0x3d1@192.168.2.100 esp0x187a101d@192.168.2.100 \n%drop \n");
	ck_assert_int_eq(render_spigrp_kview(&v, CFG_SAID_X, &b), 0);
	assert_text(&b, "");

	/* in parts of one group (kview_own_next()): the same text */
	{
		struct strbuf whole = STRBUF_INIT, parts = STRBUF_INIT;
		struct kview_own_iter it;
		struct kview p = { 0 };
		int more = 1, n = 0;

		ck_assert_int_eq(render_spi(&v, CFG_SAID_X, NOW, &whole), 0);
		ck_assert_int_eq(render_eroute(&v, CFG_SAID_X, &whole), 0);
		ck_assert_int_eq(kview_own_begin(&it, db, rt), 0);
		while (more > 0) {
			kview_reset(&p);
			more = kview_own_next(&it, &p, 1);
			ck_assert_int_ge(more, 0);
			ck_assert_int_eq(render_spi(&p, CFG_SAID_X, NOW, &parts), 0);
			n++;
		}
		ck_assert_int_eq(n, 3); /* out, in, shunt */
		kview_own_end(&it);
		ck_assert_int_eq(kview_own_begin(&it, db, rt), 0);
		for (more = 1; more > 0;) {
			kview_reset(&p);
			more = kview_own_next(&it, &p, 2);
			ck_assert_int_eq(render_eroute(&p, CFG_SAID_X, &parts), 0);
		}
		kview_own_end(&it);
		ck_assert_str_eq(parts.s, whole.s);
		strbuf_free(&whole);
		strbuf_free(&parts);
		kview_clear(&p);
	}
	kview_clear(&v);

	/* a userspace outbound SA's sequence number is its live object's:
	 * none before its first packet (after a restart seq_next starts at
	 * the block reserved for this run: nothing was sent with it), then
	 * the last one sent */
	r = rt_of(rt, sadb_find_group(db, "out"));
	r->place = PLACE_USERSPACE;
	r->sa[1]->live = sa_live_new(0, true);
	ck_assert_ptr_nonnull(r->sa[1]->live);
	atomic_store(&r->sa[1]->live->seq_next, 1048577);
	ck_assert_int_eq(kview_add_own(&v, db, rt), 0);
	ck_assert_uint_eq(v.sa[1].seq, 0);
	kview_clear(&v);
	atomic_store(&r->sa[1]->live->seq_next, 1048580);
	atomic_store(&r->sa[1]->live->packets, 3);
	ck_assert_int_eq(kview_add_own(&v, db, rt), 0);
	ck_assert_uint_eq(v.sa[1].seq, 1048579);
	kview_clear(&v);
	/* a kernel inbound SA: the kernel's highest accepted number */
	r = rt_of(rt, sadb_find_group(db, "in"));
	r->place = PLACE_KERNEL;
	sa_live_put(r->sa[1]->live);
	r->sa[1]->live = NULL;
	r->sa[1]->ctr.iseq = 12;
	ck_assert_int_eq(kview_add_own(&v, db, rt), 0);
	ck_assert_uint_eq(v.sa[3].seq, 12);
	kview_clear(&v);

	ck_assert_int_eq(kview_add_own(&v, NULL, rt), 0);
	ck_assert_int_eq(kview_add_own(&v, db, NULL), 0);
	ck_assert_uint_eq(v.nsa + v.ngrp + v.ner, 0);
	rt_free(rt);
	sadb_free(db);
	cfg_free(c);
	cfg_errors_free(&errs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render_kview");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_spi_klips_esp);
	tcase_add_test(tc, test_spi_klips_ipip);
	tcase_add_test(tc, test_spi_fields);
	tcase_add_test(tc, test_spi_counters_and_order);
	tcase_add_test(tc, test_eroute_klips);
	tcase_add_test(tc, test_spigrp_kview);
	tcase_add_test(tc, test_small_files);
	tcase_add_test(tc, test_own);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
