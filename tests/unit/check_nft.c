/* check_nft.c: unit tests of src/kern/nft.c: the ruleset text (pure), and
 * the table in a private network namespace through libnftables (replaced
 * whole, taken over, removed, no other table touched). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nftables/libnftables.h>

#include "nft.h"
#include "nstest.h"
#include "said.h"
#include "strbuf.h"

static struct ip_prefix pfx(const char *text)
{
	struct ip_prefix p;
	char err[128];

	ck_assert_msg(ip_prefix_parse(text, &p, err, sizeof(err)) == 0, "%s", err);
	return p;
}

static struct ip_addr addr(const char *text)
{
	struct ip_addr a;
	char err[128];

	ck_assert_msg(ip_addr_parse(text, &a, err, sizeof(err)) == 0, "%s", err);
	return a;
}

static char *ruleset(const char *tun, const struct nft_group *g, size_t n)
{
	struct strbuf b = STRBUF_INIT;

	ck_assert_int_eq(nft_ruleset(&b, tun, g, n), 0);
	return strbuf_take(&b, NULL);
}

static const char head[] =
	"table inet spigrpd\n"
	"delete table inet spigrpd\n"
	"table inet spigrpd {\n"
	"\tcomment \"spigrpd: cleartext packets of userspace groups' inbound traffic\"\n"
	"\tchain check {\n"
	"\t\tiifname { \"lo\", \"spigrp0\" } counter accept\n"
	"\t\tmeta ipsec exists counter accept\n"
	"\t\tmeta l4proto { 50, 51, 108 } counter accept\n";
static const char nd[] =
	"\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
	"nd-neighbor-advert, nd-redirect } counter accept\n";
static const char tail[] =
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\tjump check\n"
	"\t}\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\tjump check\n"
	"\t}\n"
	"}\n";

START_TEST(ruleset_groups)
{
	struct ip_prefix s4[] = { pfx("10.1.0.0/16"), pfx("10.2.3.0/24"), pfx("10.1.7.0/24") };
	struct ip_prefix d4[] = { pfx("192.0.2.1") };
	struct ip_prefix s6[] = { pfx("2001:db8:1::/48") };
	struct ip_prefix d6[] = { pfx("2001:db8:9::/64"), pfx("2001:db8:a::/64") };
	struct ip_prefix any4[] = { pfx("0.0.0.0/0"), pfx("10.0.0.0/8") };
	struct ip_addr peer = addr("198.51.100.1"), me = addr("198.51.100.2");
	struct nft_group g[] = {
		{ .name = "left", .src_ts = s4, .nsrc_ts = 3, .dst_ts = d4, .ndst_ts = 1 },
		{ .name = "web6", .src_ts = s6, .nsrc_ts = 1, .dst_ts = d6, .ndst_ts = 2,
		  .proto = 6, .dport = 443 },
		{ .name = "dns", .src_ts = any4, .nsrc_ts = 2, .dst_ts = d4, .ndst_ts = 1,
		  .proto = 17, .sport = 53, .ipip_src = &peer, .ipip_dst = &me },
		{ .name = "icmp", .src_ts = s4, .nsrc_ts = 1, .dst_ts = d4, .ndst_ts = 1,
		  .proto = 1 },
	};
	struct strbuf want = STRBUF_INIT;
	char *text;

	strbuf_puts(&want, head);
	strbuf_puts(&want, "\t\tmeta nfproto ipv4 ip saddr 198.51.100.1 ip daddr 198.51.100.2 "
		    "meta l4proto { 4, 41 } counter accept comment \"group dns\"\n");
	strbuf_puts(&want, nd);
	/* 10.1.7.0/24 lies inside 10.1.0.0/16: left out */
	strbuf_puts(&want, "\t\tmeta nfproto ipv4 ip saddr { 10.1.0.0/16, 10.2.3.0/24 } "
		    "ip daddr { 192.0.2.1/32 } counter drop comment \"group left\"\n");
	strbuf_puts(&want, "\t\tmeta nfproto ipv6 ip6 saddr { 2001:db8:1::/48 } "
		    "ip6 daddr { 2001:db8:9::/64, 2001:db8:a::/64 } meta l4proto 6 th dport 443 "
		    "counter drop comment \"group web6\"\n");
	/* a /0 list matches the whole family */
	strbuf_puts(&want, "\t\tmeta nfproto ipv4 ip daddr { 192.0.2.1/32 } meta l4proto 17 "
		    "th sport 53 counter drop comment \"group dns\"\n");
	strbuf_puts(&want, "\t\tmeta nfproto ipv4 ip saddr { 10.1.0.0/16 } ip daddr "
		    "{ 192.0.2.1/32 } meta l4proto 1 counter drop comment \"group icmp\"\n");
	strbuf_puts(&want, tail);
	text = ruleset("spigrp0", g, 4);
	ck_assert_str_eq(text, want.s);
	free(text);
	strbuf_free(&want);
}
END_TEST

START_TEST(ruleset_families_and_names)
{
	struct ip_prefix mix_s[] = { pfx("10.0.0.0/8"), pfx("fd00::/8") };
	struct ip_prefix mix_d[] = { pfx("fd01::/16"), pfx("192.0.2.0/24") };
	struct ip_prefix only4[] = { pfx("10.0.0.0/8") }, only6[] = { pfx("fd01::/16") };
	char longname[200];
	struct nft_group g[] = {
		{ .name = "a \"quoted\" \\ name\n\x01\xc3\xa9", .src_ts = mix_s, .nsrc_ts = 2,
		  .dst_ts = mix_d, .ndst_ts = 2 },
		{ .name = "nothing", .src_ts = only4, .nsrc_ts = 1, .dst_ts = only6,
		  .ndst_ts = 1 },
		{ .name = longname, .src_ts = only4, .nsrc_ts = 1, .dst_ts = mix_d + 1,
		  .ndst_ts = 1 },
	};
	const char *c;
	char *text;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	text = ruleset("tun-1.a_B", g, 3);
	ck_assert_ptr_nonnull(strstr(text, "iifname { \"lo\", \"tun-1.a_B\" }"));
	/* both families of one group, each its own rule */
	ck_assert_ptr_nonnull(strstr(text, "\t\tmeta nfproto ipv4 ip saddr { 10.0.0.0/8 } ip daddr "
				     "{ 192.0.2.0/24 } counter drop comment \"group a \\x22quoted"
				     "\\x22 \\x5c name\\x0a\\x01\\xc3\\xa9\"\n"));
	ck_assert_ptr_nonnull(strstr(text, "\t\tmeta nfproto ipv6 ip6 saddr { fd00::/8 } ip6 daddr "
				     "{ fd01::/16 } counter drop comment \"group a \\x22"));
	/* no family in common: no rule */
	ck_assert_ptr_null(strstr(text, "group nothing"));
	/* a long name is cut, the comment stays within nftables' limit */
	c = strstr(text, "comment \"group xxx");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(strcspn(c + 9, "\""), NFT_COMMENT_MAX);
	ck_assert(strncmp(c + 9 + NFT_COMMENT_MAX - 3, "...\"", 4) == 0);
	/* every comment: no quote, no control byte inside */
	for (c = strstr(text, "comment \""); c; c = strstr(c + 1, "comment \"")) {
		const char *e = strchr(c + 9, '"');

		ck_assert_ptr_nonnull(e);
		for (const char *p = c + 9; p < e; p++)
			ck_assert(*p >= 0x20 && *p < 0x7f);
	}
	free(text);
}
END_TEST

START_TEST(ruleset_refusals)
{
	static const struct {
		const char *name;
		bool ok;
	} names[] = {
		{ "spigrp0", true }, { "a", true }, { "123456789012345", true },
		{ "1234567890123456", false }, { "", false }, { ".", false }, { "..", false },
		{ "a b", false }, { "a\"b", false }, { "a/b", false }, { "a\nb", false },
		{ "tun\xc3\xa9", false },
	};
	struct ip_prefix bad[] = { { .len = 8 } }, ok4[] = { pfx("10.0.0.0/8") };
	struct ip_addr a4 = addr("10.0.0.1"), a6 = addr("fd00::1");
	struct nft_group g = { .name = "g", .src_ts = bad, .nsrc_ts = 1, .dst_ts = ok4,
			       .ndst_ts = 1 };
	struct strbuf b = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(nft_ifname_ok(names[i].name) == names[i].ok, "%s", names[i].name);
	ck_assert_int_eq(nft_ruleset(&b, "a b", NULL, 0), -EINVAL);
	ck_assert_int_eq(nft_ruleset(&b, "spigrp0", &g, 1), -EINVAL);
	g.src_ts = ok4;
	g.ipip_src = &a4;
	ck_assert_int_eq(nft_ruleset(&b, "spigrp0", &g, 1), -EINVAL); /* no ipip_dst */
	g.ipip_dst = &a6;
	ck_assert_int_eq(nft_ruleset(&b, "spigrp0", &g, 1), -EINVAL); /* two families */
	ck_assert_uint_eq(b.len, 0);
	strbuf_free(&b);
}
END_TEST

/* ---- the table itself, in a private network namespace ---- */

static struct nft_ctx *cli;

/* Run nftables text @cmd as another program would; its output or NULL. */
static const char *nft_cli(const char *cmd)
{
	if (nft_run_cmd_from_buffer(cli, cmd) != 0)
		return NULL;
	return nft_ctx_get_output_buffer(cli);
}

static bool enter_cli(void)
{
	cli = nft_ctx_new(NFT_CTX_DEFAULT);
	ck_assert_ptr_nonnull(cli);
	nft_ctx_buffer_output(cli);
	nft_ctx_buffer_error(cli);
	return true;
}

static bool enter(const char *test)
{
	int e = nstest_enter();

	if (e < 0) {
		nstest_skip(test, e);
		return false;
	}
	return enter_cli();
}

START_TEST(table_replace_takeover_remove)
{
	struct ip_prefix s[] = { pfx("10.1.0.0/16") }, d[] = { pfx("10.9.0.0/16") };
	struct ip_prefix s2[] = { pfx("10.3.0.0/16") };
	struct nft_group g = { .name = "g1", .src_ts = s, .nsrc_ts = 1, .dst_ts = d,
			       .ndst_ts = 1 };
	struct reason why = { "" };
	struct nft *n;
	const char *out;

	if (!enter("table_replace_takeover_remove"))
		return;
	/* another program's tables, one with our name in another family, and
	 * a table of ours left by a daemon that was killed */
	ck_assert_ptr_nonnull(nft_cli("table inet other { chain c { }; }\n"
				      "table ip spigrpd { chain c { }; }\n"
				      "table inet spigrpd { chain junk { }; }\n"));
	ck_assert_int_eq(nft_open(&n, "bad name", &why), -EINVAL);
	ck_assert_int_eq(nft_open(&n, "spigrp9", &why), 0);
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), 0);
	out = nft_cli("list table inet spigrpd");
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_null(strstr(out, "junk"));
	ck_assert_ptr_nonnull(strstr(out, "iifname { \"lo\", \"spigrp9\" }"));
	ck_assert_ptr_nonnull(strstr(out, "ip saddr 10.1.0.0/16 ip daddr 10.9.0.0/16 counter "
				     "packets 0 bytes 0 drop comment \"group g1\""));
	ck_assert_ptr_nonnull(strstr(out, "type filter hook input priority filter; policy accept;"));
	ck_assert_ptr_nonnull(strstr(out, "type filter hook forward priority filter; policy accept;"));

	/* the same groups again: nothing written (a chain added by hand stays) */
	ck_assert_ptr_nonnull(nft_cli("add chain inet spigrpd byhand\n"));
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), 0);
	ck_assert_ptr_nonnull(strstr(nft_cli("list table inet spigrpd"), "byhand"));
	/* other groups: replaced whole */
	g.src_ts = s2;
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), 0);
	out = nft_cli("list table inet spigrpd");
	ck_assert_ptr_null(strstr(out, "byhand"));
	ck_assert_ptr_null(strstr(out, "10.1.0.0/16"));
	ck_assert_ptr_nonnull(strstr(out, "ip saddr 10.3.0.0/16"));
	nft_close(n);

	/* a new handle (a restart) takes the table over; no group: removed */
	ck_assert_int_eq(nft_open(&n, "spigrp0", &why), 0);
	ck_assert_int_eq(nft_set_groups(n, NULL, 0, &why), 0);
	ck_assert_ptr_null(nft_cli("list table inet spigrpd"));
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), 0);
	ck_assert_ptr_nonnull(nft_cli("list table inet spigrpd"));
	ck_assert_int_eq(nft_remove(n, &why), 0);
	ck_assert_ptr_null(nft_cli("list table inet spigrpd"));
	ck_assert_int_eq(nft_remove(n, &why), 0); /* idempotent */
	/* the others are untouched */
	ck_assert_ptr_nonnull(nft_cli("list table inet other"));
	ck_assert_ptr_nonnull(nft_cli("list table ip spigrpd"));
	nft_close(n);
	nft_ctx_free(cli);
}
END_TEST

START_TEST(table_refused_keeps_old)
{
	struct ip_prefix s[] = { pfx("10.1.0.0/16") }, d[] = { pfx("10.9.0.0/16") };
	struct nft_group g = { .name = "g1", .src_ts = s, .nsrc_ts = 1, .dst_ts = d,
			       .ndst_ts = 1, .proto = 6, .dport = 22 };
	struct reason why = { "" };
	struct nft *n;

	if (!enter("table_refused_keeps_old"))
		return;
	/* another program holds a table of our name with "flags owner": the
	 * kernel lets no one else change it, so the change fails as a whole,
	 * says why, and that table stays as it was */
	ck_assert_ptr_nonnull(nft_cli("table inet spigrpd { flags owner; chain theirs { }; }\n"));
	ck_assert_int_eq(nft_open(&n, "spigrp0", &why), 0);
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), -EIO);
	ck_assert_msg(strstr(why.text, "nftables: ") == why.text, "%s", why.text);
	ck_assert_ptr_nonnull(strstr(nft_cli("list table inet spigrpd"), "theirs"));
	ck_assert_int_eq(nft_remove(n, &why), -EIO);
	/* the owner gone, the same call goes through (nothing was cached) */
	nft_ctx_free(cli);
	ck_assert(enter_cli());
	ck_assert_int_eq(nft_set_groups(n, &g, 1, &why), 0);
	ck_assert_ptr_nonnull(strstr(nft_cli("list table inet spigrpd"), "tcp dport 22"));
	ck_assert_ptr_null(strstr(nft_cli("list table inet spigrpd"), "theirs"));
	nft_close(n);
	nft_ctx_free(cli);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("nft");
	TCase *tc = tcase_create("nft");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, ruleset_groups);
	tcase_add_test(tc, ruleset_families_and_names);
	tcase_add_test(tc, ruleset_refusals);
	tcase_add_test(tc, table_replace_takeover_remove);
	tcase_add_test(tc, table_refused_keeps_old);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
