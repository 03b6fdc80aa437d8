/* check_look.c: the `ipsec look` text (look.h) against the KLIPS captures
 * V1-V6 of spec/klips-formats.md §5 (eroute lines joined with their group
 * lines, the ipsec_spi lines sorted), the script's sort order of eroutes,
 * the header's date, the routes, and the awk program's corner cases. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "look.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fri Nov 29 10:12:14 GMT 2002, the date of the V6 capture. */
static struct tm nov29(void)
{
	struct tm t = { 0 };

	t.tm_sec = 14;
	t.tm_min = 12;
	t.tm_hour = 10;
	t.tm_mday = 29;
	t.tm_mon = 10;
	t.tm_year = 102;
	t.tm_wday = 5;
	t.tm_zone = "GMT";
	return t;
}

/* The look text of these inputs (host "east", the date above). */
static char *look(const char *spigrp, const char *eroute, const char *spi, const char *routes)
{
	struct tm t = nov29();
	struct look_in in = { "east", &t, spigrp, eroute, spi, routes };
	struct strbuf b = STRBUF_INIT;

	ck_assert_int_eq(look_render(&in, &b), 0);
	return strbuf_take(&b, NULL);
}

#define HEAD "east Fri Nov 29 10:12:14 GMT 2002\n"
#define ROUTES "ROUTING TABLES\n"

/* The join alone: no spi lines, no routes. */
static const struct {
	const char *what, *spigrp, *eroute, *want;
} joins[] = {
	/* V1: the group as the new model lists it (every SA starts a line,
	 * spec §1.7) ... */
	{ "V1 new model",
	  "tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45 \n"
	  "tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1 tun0x12345678@192.1.2.45 "
	  "esp0x12345678@192.1.2.45 \n"
	  "esp0x12345678@192.1.2.45 \n"
	  "esp0xabcdabcd@192.0.1.1 tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45 \n",
	  "0          192.0.2.1/32       -> 192.0.1.1/32       => tun0xabcdabcd@192.0.1.1\n",
	  "192.0.2.1/32       -> 192.0.1.1/32       => tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1 "
	  "tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45  (0)\n" },
	/* ... and as the old one does (heads only): the same look line */
	{ "V1 old model",
	  "tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1 tun0x12345678@192.1.2.45 "
	  "esp0x12345678@192.1.2.45 \n",
	  "0          192.0.2.1/32       -> 192.0.1.1/32       => tun0xabcdabcd@192.0.1.1\n",
	  "192.0.2.1/32       -> 192.0.1.1/32       => tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1 "
	  "tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45  (0)\n" },
	{ "V2 comp group",
	  "comp0x5678@192.1.2.45 esp0x12345678@192.1.2.45 \n"
	  "tun0x12345678@192.1.2.45 comp0x5678@192.1.2.45 esp0x12345678@192.1.2.45 \n"
	  "esp0x12345678@192.1.2.45 \n",
	  "0          192.0.2.0/24       -> 192.0.1.0/24       => tun0x12345678@192.1.2.45\n",
	  "192.0.2.0/24       -> 192.0.1.0/24       => tun0x12345678@192.1.2.45 comp0x5678@192.1.2.45 "
	  "esp0x12345678@192.1.2.45  (0)\n" },
	{ "V3 a singleton group",
	  "tun0x12345678@192.1.2.45 \n",
	  "0          192.0.2.0/24       -> 192.0.1.0/24       => tun0x12345678@192.1.2.45\n",
	  "192.0.2.0/24       -> 192.0.1.0/24       => tun0x12345678@192.1.2.45  (0)\n" },
	{ "V4 ah group",
	  "tun0xa9123456@192.1.2.45 ah0xa9123456@192.1.2.45 \nah0xa9123456@192.1.2.45 \n",
	  "0          192.0.2.0/24       -> 192.0.1.0/24       => tun0xa9123456@192.1.2.45\n",
	  "192.0.2.0/24       -> 192.0.1.0/24       => tun0xa9123456@192.1.2.45 ah0xa9123456@192.1.2.45  (0)\n" },
	{ "V4 a count of 8",
	  "esp0x1000583@192.1.2.45 \ntun0x1000583@192.1.2.45 esp0x1000583@192.1.2.45 \n",
	  "8          192.0.2.0/24       -> 192.0.1.0/24       => tun0x1000583@192.1.2.45\n",
	  "192.0.2.0/24       -> 192.0.1.0/24       => tun0x1000583@192.1.2.45 esp0x1000583@192.1.2.45  (8)\n" },
	{ "V4 pluto's host-to-host group",
	  "tun0x1001@192.1.2.23 esp0x66ad9a20@192.1.2.23 \n",
	  "0          192.1.2.45/32      -> 192.1.2.23/32      => tun0x1001@192.1.2.23\n",
	  "192.1.2.45/32      -> 192.1.2.23/32      => tun0x1001@192.1.2.23 esp0x66ad9a20@192.1.2.23  (0)\n" },
	{ "V5 IPv6 transport: wider than 18 columns",
	  "esp0x43952d72@2001:db8:1:2::23 \n",
	  "8          2001:db8:1:2::45/128 -> 2001:db8:1:2::23/128 => esp0x43952d72@2001:db8:1:2::23\n",
	  "2001:db8:1:2::45/128 -> 2001:db8:1:2::23/128 => esp0x43952d72@2001:db8:1:2::23  (8)\n" },
	/* an eroute whose SAID starts no group line: the SAID, one space */
	{ "no group line",
	  "esp0x1@192.0.2.9 \n",
	  "3          10.0.0.0/8         -> 10.1.0.0/16        => tun0x2@192.0.2.9\n",
	  "10.0.0.0/8         -> 10.1.0.0/16        => tun0x2@192.0.2.9 (3)\n" },
	{ "shunts", "",
	  "0          10.9.1.0/24        -> 10.9.2.0/24        => %pass\n"
	  "12         10.9.3.0/24:80     -> 10.9.4.0/24        => %drop:6\n",
	  "10.9.1.0/24        -> 10.9.2.0/24        => %pass (0)\n"
	  "10.9.3.0/24:80     -> 10.9.4.0/24        => %drop:6 (12)\n" },
	/* the script's sort: addresses right-justified part by part, so 9.x
	 * before 10.x and 192.0.2.0/24 before 192.0.10.0/24; equal keys by
	 * the rest of the line */
	{ "sorted by padded address",
	  "",
	  "1          192.0.10.0/24      -> 10.0.0.0/8         => %pass\n"
	  "2          192.0.2.0/24       -> 10.0.0.0/8         => %pass\n"
	  "3          10.0.0.0/8         -> 9.0.0.0/8          => %drop\n"
	  "4          9.0.0.0/8          -> 10.0.0.0/8         => %pass\n"
	  "5          10.0.0.0/8         -> 9.0.0.0/8          => %pass\n"
	  "6          10.0.0.0/8         -> 9.0.0.0/8          => %drop\n",
	  "9.0.0.0/8          -> 10.0.0.0/8         => %pass (4)\n"
	  "10.0.0.0/8         -> 9.0.0.0/8          => %drop (3)\n"
	  "10.0.0.0/8         -> 9.0.0.0/8          => %drop (6)\n"
	  "10.0.0.0/8         -> 9.0.0.0/8          => %pass (5)\n"
	  "192.0.2.0/24       -> 10.0.0.0/8         => %pass (2)\n"
	  "192.0.10.0/24      -> 10.0.0.0/8         => %pass (1)\n" },
	/* a later group line under the same first SAID replaces the earlier */
	{ "the last group line wins",
	  "tun0x5@192.0.2.9 \ntun0x5@192.0.2.9 esp0x5@192.0.2.9 \n",
	  "0          10.0.0.0/8         -> 10.1.0.0/16        => tun0x5@192.0.2.9\n",
	  "10.0.0.0/8         -> 10.1.0.0/16        => tun0x5@192.0.2.9 esp0x5@192.0.2.9  (0)\n" },
	/* an eroute line without a count (its 2nd field "->"), tabs, blank
	 * lines, no final newline */
	{ "no count, tabs, no final newline",
	  "\n  tun0x7@192.0.2.9\tesp0x7@192.0.2.9 \n\n",
	  "10.2.0.0/16 -> 10.3.0.0/16 => tun0x7@192.0.2.9 extra\n"
	  "\t7\t10.4.0.0/16\t->\t10.5.0.0/16\t=>\ttun0x7@192.0.2.9",
	  "10.2.0.0/16        -> 10.3.0.0/16        =>   tun0x7@192.0.2.9\tesp0x7@192.0.2.9 \n"
	  "10.4.0.0/16        -> 10.5.0.0/16        =>   tun0x7@192.0.2.9\tesp0x7@192.0.2.9  (7)\n" },
	{ "nothing", "", "", "" },
};

START_TEST(test_join)
{
	char *got = look(joins[_i].spigrp, joins[_i].eroute, "", "");
	size_t hl = strlen(HEAD), wl = strlen(joins[_i].want);

	ck_assert_msg(!strncmp(got, HEAD, hl), "%s: header: %s", joins[_i].what, got);
	ck_assert_msg(!strncmp(got + hl, joins[_i].want, wl) && !strcmp(got + hl + wl, ROUTES),
		      "%s:\n got: %s\nwant: %s", joins[_i].what, got + hl, joins[_i].want);
	free(got);
}
END_TEST

/* V1 whole: the spi lines of the capture, given in the kernel's hash order,
 * come out in the capture's (sorted) order after the eroute line. */
START_TEST(test_v1_whole)
{
	static const char spi[] =
		"tun0x12345678@192.1.2.45 IPIP: dir=out src=192.1.2.23 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=4 ref=2 refhim=0\n"
		"tun0xabcdabcd@192.0.1.1 IPIP: dir=out src=192.1.2.23 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=3 ref=4 refhim=0\n"
		"esp0x12345678@192.1.2.45 ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 iv_bits=64bits "
		"iv=0xDEADF00DDEADF00D alen=128 aklen=128 eklen=192 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=3 ref=1 refhim=0\n"
		"esp0xabcdabcd@192.0.1.1 ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 iv_bits=64bits "
		"iv=0xDEADF00DDEADF00D alen=128 aklen=128 eklen=192 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=4 ref=3 refhim=0\n";
	static const char want[] =
		HEAD
		"192.0.2.1/32       -> 192.0.1.1/32       => tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1 "
		"tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45  (0)\n"
		"esp0x12345678@192.1.2.45 ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 iv_bits=64bits "
		"iv=0xDEADF00DDEADF00D alen=128 aklen=128 eklen=192 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=3 ref=1 refhim=0\n"
		"esp0xabcdabcd@192.0.1.1 ESP_3DES_HMAC_MD5: dir=out src=192.1.2.23 iv_bits=64bits "
		"iv=0xDEADF00DDEADF00D alen=128 aklen=128 eklen=192 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=4 ref=3 refhim=0\n"
		"tun0x12345678@192.1.2.45 IPIP: dir=out src=192.1.2.23 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=4 ref=2 refhim=0\n"
		"tun0xabcdabcd@192.0.1.1 IPIP: dir=out src=192.1.2.23 life(c,s,h)= natencap=none natsport=0 "
		"natdport=0 refcount=3 ref=4 refhim=0\n"
		ROUTES
		"192.0.1.1 via 192.1.2.45 dev eth1 proto static \n";
	char *got = look(joins[0].spigrp, joins[0].eroute, spi,
			 "192.0.1.1 via 192.1.2.45 dev eth1 proto static \n");

	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* V6 whole (the 2002 capture): an inbound tun line among the SAs; the
 * date of its header. */
START_TEST(test_v6_whole)
{
	static const char spi[] =
		"tun0x1002@192.1.2.45 IPIP: dir=out src=192.1.2.23 life(c,s,h)=addtime(6,0,0) refcount=4 ref=10\n"
		"tun0x1001@192.1.2.23 IPIP: dir=in  src=192.1.2.45 policy=192.0.1.0/24->192.0.2.0/24 flags=0x8<> "
		"life(c,s,h)=addtime(6,0,0) refcount=4 ref=9\n"
		"comp0x68dd@192.1.2.45 COMP_DEFLATE: dir=out src=192.1.2.23 life(c,s,h)=addtime(2,0,0) refcount=5 ref=16\n";
	static const char want[] =
		HEAD
		"192.0.2.0/24       -> 192.0.1.0/24       => tun0x1002@192.1.2.45 comp0x68dd@192.1.2.45 "
		"esp0xa7d8251a@192.1.2.45  (0)\n"
		"comp0x68dd@192.1.2.45 COMP_DEFLATE: dir=out src=192.1.2.23 life(c,s,h)=addtime(2,0,0) refcount=5 ref=16\n"
		"tun0x1001@192.1.2.23 IPIP: dir=in  src=192.1.2.45 policy=192.0.1.0/24->192.0.2.0/24 flags=0x8<> "
		"life(c,s,h)=addtime(6,0,0) refcount=4 ref=9\n"
		"tun0x1002@192.1.2.45 IPIP: dir=out src=192.1.2.23 life(c,s,h)=addtime(6,0,0) refcount=4 ref=10\n"
		ROUTES;
	char *got = look("tun0x1002@192.1.2.45 comp0x68dd@192.1.2.45 esp0xa7d8251a@192.1.2.45 \n",
			 "0          192.0.2.0/24       -> 192.0.1.0/24       => tun0x1002@192.1.2.45\n", spi,
			 NULL);

	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* The header as date(1) prints it: a one-digit day padded with a space;
 * NULL texts are empty; routes without a final newline get one. */
START_TEST(test_header)
{
	struct tm t = nov29();
	struct look_in in = { "west", &t, NULL, NULL, NULL, "10.0.0.0/8 dev x proto static " };
	struct strbuf b = STRBUF_INIT;
	char *got;

	t.tm_mday = 7;
	t.tm_mon = 11;
	t.tm_wday = 1;
	t.tm_hour = 7;
	t.tm_min = 5;
	t.tm_sec = 9;
	t.tm_year = 126;
	t.tm_zone = "UTC";
	ck_assert_int_eq(look_render(&in, &b), 0);
	got = strbuf_take(&b, NULL);
	ck_assert_str_eq(got, "west Mon Dec  7 07:05:09 UTC 2026\nROUTING TABLES\n"
			      "10.0.0.0/8 dev x proto static \n");
	free(got);
}
END_TEST

/* Many eroutes and groups: every eroute finds its own group. */
START_TEST(test_many)
{
	struct strbuf g = STRBUF_INIT, e = STRBUF_INIT, w = STRBUF_INIT;
	char *got;
	unsigned i;

	for (i = 2000; i-- > 0;) {
		char src[32];

		strbuf_printf(&g, "tun0x%x@192.0.2.1 esp0x%x@192.0.2.1 \n", i + 256, i + 256);
		snprintf(src, sizeof(src), "10.%u.%u.0/24", i / 256, i % 256);
		strbuf_printf(&e, "%-10u %-18s -> 10.255.0.0/16       => tun0x%x@192.0.2.1\n", i, src,
			      i + 256);
	}
	got = look(g.s, e.s, "", "");
	/* the 2000 lines sorted by padded address: 10.i/256.i%256 ascending */
	for (i = 0; i < 2000; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.%u.%u.0/24", i / 256, i % 256);
		strbuf_printf(&w, "%-18s -> %-18s => tun0x%x@192.0.2.1 esp0x%x@192.0.2.1  (%u)\n",
			      src, "10.255.0.0/16", i + 256, i + 256, i);
	}
	ck_assert_msg(!strncmp(got + strlen(HEAD), w.s, w.len), "%.300s\nwant %.300s", got, w.s);
	free(got);
	strbuf_free(&g);
	strbuf_free(&e);
	strbuf_free(&w);
}
END_TEST

static Suite *look_suite(void)
{
	Suite *s = suite_create("look");
	TCase *tc = tcase_create("look");

	tcase_add_loop_test(tc, test_join, 0, ARRAY_SIZE(joins));
	tcase_add_test(tc, test_v1_whole);
	tcase_add_test(tc, test_v6_whole);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(look_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
