/* check_kderive.c: the kernel mirror (mirror.h) and the derivation of the
 * foreign part of the KLIPS view (kderive.h), on dumps and events recorded
 * from the UML kernel (tests/data/kderive/ and tests/data/xfrm/, see their
 * READMEs): exact lines, SAs and eroutes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/udp.h>

#include "kderive.h"
#include "mirror.h"
#include "strbuf.h"
#include "xfrm_fake.h"
#include "xfrm_own.h"

/* Feed every message of fixture @dir/@name to @m (dump replies and
 * events alike); the OR of what kmirror_event() said. */
static int feed(struct kmirror *m, const char *dir, const char *name)
{
	struct fx_msg msgs[64];
	size_t len, n, i;
	uint8_t *b = fx_load_dir(dir, name, &len);
	int all = 0;

	n = fx_split(b, len, msgs, 64);
	for (i = 0; i < n; i++) {
		struct xm_msg x;
		int r = xm_parse(msgs[i].p, msgs[i].len, &x);

		if (r == -EOPNOTSUPP)
			continue; /* NLMSG_DONE */
		ck_assert_int_eq(r, 0);
		r = kmirror_event(m, &x);
		ck_assert_int_ge(r, 0);
		all |= r;
	}
	free(b);
	return all;
}

/* A mirror loaded with the dumps @sa and @sp of @dir, as one dump. */
static struct kmirror *mirror_of(const char *dir, const char *sa, const char *sp)
{
	struct kmirror *m = kmirror_new();

	ck_assert_ptr_nonnull(m);
	kmirror_load_begin(m, false);
	feed(m, dir, sa);
	kmirror_load_end(m, false, true);
	kmirror_load_begin(m, true);
	feed(m, dir, sp);
	kmirror_load_end(m, true, true);
	return m;
}

static bool shunts_ours(void *arg, const struct xm_policy *p)
{
	(void)p;
	return *(bool *)arg;
}

/* The view's lines: "SAID SAID \n" per group, then "-- " and one line per
 * eroute: "SRC -> DST => SAID (COUNT)". */
static char *text_of(const struct kview *v)
{
	struct strbuf b = STRBUF_INIT;
	char s[SAID_BUF], p1[IP_PREFIX_BUF], p2[IP_PREFIX_BUF];
	size_t i, len;
	unsigned k;

	for (i = 0; i < v->ngrp; i++) {
		ck_assert(!v->grp[i].ours);
		if (i)
			ck_assert_uint_gt(v->grp[i].order, v->grp[i - 1].order);
		ck_assert_uint_ge(v->grp[i].order, KDERIVE_ORDER_BASE);
		for (k = 0; k < v->grp[i].nsa; k++) {
			said_format(&v->sa[v->grp[i].sa[k]].said, '0', s, sizeof(s));
			strbuf_printf(&b, "%s ", s);
		}
		strbuf_printf(&b, "\n");
	}
	for (i = 0; i < v->ner; i++) {
		ip_prefix_format(&v->er[i].src, p1, sizeof(p1));
		ip_prefix_format(&v->er[i].dst, p2, sizeof(p2));
		said_format(&v->er[i].said, '0', s, sizeof(s));
		strbuf_printf(&b, "-- %s -> %s => %s (%llu)\n", p1, p2, s,
			      (unsigned long long)v->er[i].count);
	}
	ck_assert(!b.oom);
	return strbuf_take(&b, &len);
}

/* Derive from @m (shunts in our band ours or not) and compare. */
static void expect(const struct kmirror *m, bool shunts, const char *want)
{
	struct kderive_owner o = { shunts_ours, &shunts };
	struct kview v = { 0 };
	char *got;

	ck_assert_int_eq(kderive(m, &o, &v), 0);
	got = text_of(&v);
	ck_assert_msg(!strcmp(got ? got : "", want), "got:\n%s\nwant:\n%s", got, want);
	free(got);
	kview_clear(&v);
}

/* The SA of the view whose SAID prints as @said. */
static const struct kv_sa *sa_named(const struct kview *v, const char *said)
{
	char s[SAID_BUF];
	size_t i;

	for (i = 0; i < v->nsa; i++) {
		said_format(&v->sa[i].said, '0', s, sizeof(s));
		if (!strcmp(s, said))
			return &v->sa[i];
	}
	ck_abort_msg("no SA %s", said);
	return NULL;
}

/* ------------------------------------------------------------------ */

/* fwd beside in, two selector pairs: one line per set of states; the
 * wildcard ESP template takes the COMP template's tunnel ends; helper
 * IPIP states are not kept. */
START_TEST(sets_selector_pairs_fwd)
{
	struct kmirror *m = mirror_of("kderive", "rekey-before-sa.bin", "rekey-before-policy.bin");

	ck_assert_uint_eq(kmirror_nstates(m), 4); /* the 2 IPIP helpers left out */
	ck_assert_uint_eq(kmirror_npolicies(m), 6);
	expect(m, false,
	       "tun.4101@198.51.100.5 comp.4101@198.51.100.5 esp.c1000001@198.51.100.5 \n"
	       "tun.4001@198.51.100.9 comp.4001@198.51.100.9 esp.c0000001@198.51.100.9 \n"
	       "-- 10.20.1.0/24 -> 10.20.3.0/24 => tun.4001@198.51.100.9 (0)\n"
	       "-- 10.20.1.0/24 -> 10.20.2.0/24 => tun.4001@198.51.100.9 (0)\n");
	kmirror_free(m);
}
END_TEST

/* A rekey: the old and the new set are separate lines; the new one is
 * where the out policies lead.  Loaded over the first dump, the objects
 * seen before keep their order. */
START_TEST(rekey_two_sets)
{
	struct kmirror *m = mirror_of("kderive", "rekey-before-sa.bin", "rekey-before-policy.bin");
	struct kmirror *fresh = mirror_of("kderive", "rekey-sa.bin", "rekey-policy.bin");

	kmirror_load_begin(m, false);
	feed(m, "kderive", "rekey-sa.bin");
	kmirror_load_end(m, false, true);
	kmirror_load_begin(m, true);
	feed(m, "kderive", "rekey-policy.bin");
	kmirror_load_end(m, true, true);
	ck_assert_uint_eq(kmirror_nstates(m), 8);
	expect(m, false,
	       "tun.4101@198.51.100.5 comp.4101@198.51.100.5 esp.c1000001@198.51.100.5 \n"
	       "tun.4001@198.51.100.9 comp.4001@198.51.100.9 esp.c0000001@198.51.100.9 \n"
	       "tun.4102@198.51.100.5 comp.4102@198.51.100.5 esp.c1000002@198.51.100.5 \n"
	       "tun.4002@198.51.100.9 comp.4002@198.51.100.9 esp.c0000002@198.51.100.9 \n"
	       "-- 10.20.1.0/24 -> 10.20.3.0/24 => tun.4002@198.51.100.9 (0)\n"
	       "-- 10.20.1.0/24 -> 10.20.2.0/24 => tun.4002@198.51.100.9 (0)\n");
	/* the same sets from one dump: its order is the kernel's hash order */
	expect(fresh, false,
	       "tun.4102@198.51.100.5 comp.4102@198.51.100.5 esp.c1000002@198.51.100.5 \n"
	       "tun.4002@198.51.100.9 comp.4002@198.51.100.9 esp.c0000002@198.51.100.9 \n"
	       "tun.4101@198.51.100.5 comp.4101@198.51.100.5 esp.c1000001@198.51.100.5 \n"
	       "tun.4001@198.51.100.9 comp.4001@198.51.100.9 esp.c0000001@198.51.100.9 \n"
	       "-- 10.20.1.0/24 -> 10.20.3.0/24 => tun.4002@198.51.100.9 (0)\n"
	       "-- 10.20.1.0/24 -> 10.20.2.0/24 => tun.4002@198.51.100.9 (0)\n");
	/* the old dump again: the new states go */
	kmirror_load_begin(m, false);
	feed(m, "kderive", "rekey-before-sa.bin");
	kmirror_load_end(m, false, true);
	ck_assert_uint_eq(kmirror_nstates(m), 4);
	kmirror_free(m);
	kmirror_free(fresh);
}
END_TEST

/* libreswan: ESP and IPComp of one bundle with different reqids. */
START_TEST(libreswan_reqids)
{
	struct kmirror *m = mirror_of("xfrm", "libreswan-sa-dump.bin", "libreswan-policy-dump.bin");
	struct kview v = { 0 };
	const struct kv_sa *t;

	expect(m, false,
	       "tun.3e82@192.0.2.1 comp.3e82@192.0.2.1 esp.8c1f0a02@192.0.2.1 \n"
	       "tun.3e81@198.51.100.1 comp.3e81@198.51.100.1 esp.8c1f0a01@198.51.100.1 \n"
	       "-- 10.1.1.0/24 -> 10.2.2.0/24 => tun.3e81@198.51.100.1 (0)\n");
	ck_assert_int_eq(kderive(m, NULL, &v), 0);
	/* the inbound tun SA carries its policy; the outbound one does not */
	t = sa_named(&v, "tun.3e82@192.0.2.1");
	ck_assert_int_eq(t->dir, SADB_DIR_IN);
	ck_assert(t->has_policy);
	ck_assert_uint_eq(t->policy_src.len, 24);
	ck_assert_uint_eq(t->policy_src.addr.b[1], 2);
	ck_assert_uint_eq(t->policy_dst.addr.b[1], 1);
	t = sa_named(&v, "tun.3e81@198.51.100.1");
	ck_assert_int_eq(t->dir, SADB_DIR_OUT);
	ck_assert(!t->has_policy);
	t = sa_named(&v, "esp.8c1f0a01@198.51.100.1");
	ck_assert_str_eq(t->enc, "cbc(aes)");
	ck_assert_str_eq(t->auth, "hmac(sha256)");
	ck_assert_uint_eq(t->ekey_bits, 256);
	ck_assert_uint_eq(t->akey_bits, 256);
	ck_assert_uint_eq(t->icv_bits, 128);
	ck_assert_uint_eq(t->replay_window, 128);
	ck_assert_uint_eq(t->reqid, 16389);
	ck_assert_str_eq(sa_named(&v, "comp.3e81@198.51.100.1")->comp, "deflate");
	kview_clear(&v);
	kmirror_free(m);
}
END_TEST

/* charon: AEAD tunnels; the IPv6 child's mark and if_id are part of the
 * match: another if_id on the policy leaves its states alone (and the out
 * policy a %trap). */
START_TEST(charon_marks_if_id)
{
	static const char trapped[] =
		"tun:c1000003@2001:db8::5 esp:c1000003@2001:db8::5 \n"
		"tun:c1000002@2001:db8::9 esp:c1000002@2001:db8::9 \n"
		"tun.c5d4e3f2@203.0.113.5 esp.c5d4e3f2@203.0.113.5 \n"
		"tun.c8a1b2c3@203.0.113.9 esp.c8a1b2c3@203.0.113.9 \n"
		"-- 10.3.0.0/16 -> 10.4.0.0/16 => tun.c8a1b2c3@203.0.113.9 (0)\n"
		"-- 2001:db8:3::/64 -> 2001:db8:4::/64 => %trap (0)\n";
	struct kmirror *m = mirror_of("xfrm", "charon-sa-dump.bin", "charon-policy-dump.bin");
	const struct km_policy *kp;
	struct xm_policy p;
	struct kview v = { 0 };
	const struct kv_sa *s;
	size_t pos = 0;

	expect(m, false,
	       "tun:c1000003@2001:db8::5 esp:c1000003@2001:db8::5 \n"
	       "tun:c1000002@2001:db8::9 esp:c1000002@2001:db8::9 \n"
	       "tun.c5d4e3f2@203.0.113.5 esp.c5d4e3f2@203.0.113.5 \n"
	       "tun.c8a1b2c3@203.0.113.9 esp.c8a1b2c3@203.0.113.9 \n"
	       "-- 2001:db8:3::/64 -> 2001:db8:4::/64 => tun:c1000002@2001:db8::9 (0)\n"
	       "-- 10.3.0.0/16 -> 10.4.0.0/16 => tun.c8a1b2c3@203.0.113.9 (0)\n");
	ck_assert_int_eq(kderive(m, NULL, &v), 0);
	s = sa_named(&v, "esp.c8a1b2c3@203.0.113.9");
	ck_assert(s->aead);
	ck_assert_str_eq(s->enc, "rfc4106(gcm(aes))");
	ck_assert_uint_eq(s->icv_bits, 128);
	ck_assert_uint_eq(s->life.soft_seconds, 3236);
	ck_assert_uint_eq(s->life.hard_seconds, 3600);
	ck_assert_uint_eq(s->life.hard_bytes, 0); /* XFRM_INF: none */
	kview_clear(&v);
	/* the out policy of the IPv6 child with another if_id */
	while ((kp = kmirror_next_policy(m, &pos)))
		if (kp->p.if_id == 7 && kp->p.dir == XFRM_POLICY_OUT)
			break;
	ck_assert_ptr_nonnull(kp);
	p = kp->p;
	p.if_id = 8;
	ck_assert(kmirror_del_policy(m, &kp->p));
	ck_assert_int_eq(kmirror_put_policy(m, &p), 0);
	/* the same with a mark the states do not take */
	expect(m, false, trapped);
	ck_assert_int_eq(kderive(m, NULL, &v), 0); /* its out state: in no group now */
	ck_assert_int_eq(sa_named(&v, "esp:c1000002@2001:db8::9")->dir, SADB_DIR_NONE);
	ck_assert_int_eq(sa_named(&v, "esp:c1000003@2001:db8::5")->dir, SADB_DIR_IN);
	kview_clear(&v);
	ck_assert(kmirror_del_policy(m, &p));
	p.if_id = 7;
	p.mark.v = 0x2b;
	ck_assert_int_eq(kmirror_put_policy(m, &p), 0);
	expect(m, false, trapped);
	kmirror_free(m);
}
END_TEST

/* Transport mode host to host (wildcard templates take the selector's
 * addresses), NAT-T, a state no policy uses, one of ours, a larval
 * ALLOCSPI state, an acquire's larval state and its %trap, a
 * template-less block in our priority band (ours only when recorded). */
START_TEST(transport_larval_unused_shunt)
{
	struct kmirror *m = mirror_of("kderive", "transport-sa.bin", "transport-policy.bin");
	static const char *lines =
		"tun.d0000001@192.0.2.32 esp.d0000001@192.0.2.32 \n"
		"esp.c2000002@192.0.2.21 \n"
		"esp.c2000001@192.0.2.22 \n";
	struct kview v = { 0 };
	const struct kv_sa *s;
	char *want;

	/* the acquire's larval state (SPI 0) is not kept; ALLOCSPI's is */
	ck_assert_uint_eq(kmirror_nstates(m), 5);
	ck_assert_int_ge(asprintf(&want, "%s%s", lines,
				  "-- 10.30.0.0/16 -> 10.31.0.0/16 => %drop (0)\n"
				  "-- 192.0.2.21/32 -> 192.0.2.99/32 => %trap (0)\n"
				  "-- 192.0.2.21/32 -> 192.0.2.22/32 => esp.c2000001@192.0.2.22 (0)\n"),
			 0);
	expect(m, false, want);
	free(want);
	ck_assert_int_ge(asprintf(&want, "%s%s", lines,
				  "-- 192.0.2.21/32 -> 192.0.2.99/32 => %trap (0)\n"
				  "-- 192.0.2.21/32 -> 192.0.2.22/32 => esp.c2000001@192.0.2.22 (0)\n"),
			 0);
	expect(m, true, want);
	free(want);
	ck_assert_int_eq(kderive(m, NULL, &v), 0);
	s = sa_named(&v, "esp.c2000001@192.0.2.22");
	ck_assert_int_eq(s->dir, SADB_DIR_OUT);
	ck_assert_uint_eq(s->encap_type, UDP_ENCAP_ESPINUDP);
	ck_assert_uint_eq(s->encap_sport, 4500);
	ck_assert_uint_eq(s->encap_dport, 4500);
	ck_assert_uint_eq(s->replay_window, 32);
	ck_assert_int_eq(sa_named(&v, "esp.c2000002@192.0.2.21")->dir, SADB_DIR_IN);
	ck_assert_int_eq(sa_named(&v, "esp.d0000001@192.0.2.32")->dir, SADB_DIR_NONE);
	kview_clear(&v);
	kmirror_free(m);
}
END_TEST

/* Our own objects (seed groups, shunt groups) are never foreign; the
 * shunts are ours only when the record says so. */
START_TEST(ours_left_out)
{
	struct kmirror *m = mirror_of("xfrm", "ours-sa-dump.bin", "ours-policy-dump.bin");

	ck_assert_uint_eq(kmirror_nstates(m), 12); /* 16 less 4 helpers */
	expect(m, true, "");
	/* out, fwd and in policies of one selector pair: one eroute */
	expect(m, false,
	       "-- fd00:9:1::/64 -> fd00:9:2::/64 => %drop (0)\n"
	       "-- 10.9.1.0/24 -> 10.9.2.0/24 => %pass (0)\n");
	kmirror_free(m);
}
END_TEST

/* A libreswan policy in our priority band with its own reqids is foreign. */
START_TEST(priority_band_not_ours)
{
	struct kmirror *m = mirror_of("kderive", "transport-sa.bin", "transport-policy.bin");
	const struct km_policy *kp;
	size_t pos = 0, n = 0;

	while ((kp = kmirror_next_policy(m, &pos))) {
		if (kp->p.priority != 1042407)
			continue;
		ck_assert(xfrm_own_priority(kp->p.priority));
		ck_assert(!xfrm_own_tmpl_policy(&kp->p));
		n++;
	}
	ck_assert_uint_eq(n, 2);
	kmirror_free(m);
}
END_TEST

/* The events of a recorded session applied to its first dump give what
 * its last dump holds: the same objects, the same view. */
START_TEST(events_converge)
{
	struct kmirror *m = mirror_of("kderive", "events-start-sa.bin", "events-start-policy.bin");
	struct kmirror *end = mirror_of("kderive", "events-end-sa.bin", "events-end-policy.bin");
	const struct km_state *s, *e;
	const struct km_policy *p, *q;
	struct kderive_owner o = { NULL, NULL };
	struct kview v1 = { 0 }, v2 = { 0 };
	char *t1, *t2;
	struct xm_key k;
	size_t pos = 0;

	ck_assert_int_eq(feed(m, "kderive", "events.bin"), KM_OBJECTS);
	ck_assert_uint_eq(kmirror_nstates(m), kmirror_nstates(end));
	ck_assert_uint_eq(kmirror_npolicies(m), kmirror_npolicies(end));
	while ((e = kmirror_next_state(end, &pos))) {
		xm_state_key(&e->s, &k);
		s = kmirror_find_state(m, &k);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->s.reqid, e->s.reqid);
		ck_assert_str_eq(s->s.crypt.name, e->s.crypt.name);
		ck_assert_ptr_null(s->s.crypt.key); /* no key bytes kept */
		ck_assert_ptr_null(s->s.auth.key);
	}
	pos = 0;
	while ((q = kmirror_next_policy(end, &pos))) {
		xm_policy_key(&q->p, &k);
		p = kmirror_find_policy(m, &k);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->p.priority, q->p.priority);
	}
	ck_assert_int_eq(kderive(m, &o, &v1), 0);
	ck_assert_int_eq(kderive(end, &o, &v2), 0);
	t1 = text_of(&v1);
	t2 = text_of(&v2);
	ck_assert_str_eq(t1, t2);
	ck_assert_str_eq(t1, "tun.c4000002@192.0.2.52 esp.c4000002@192.0.2.52 \n"
			     "-- 10.40.1.0/24 -> 10.40.2.0/24 => tun.c4000002@192.0.2.52 (0)\n");
	free(t1);
	free(t2);
	kview_clear(&v1);
	kview_clear(&v2);
	kmirror_free(m);
	kmirror_free(end);
}
END_TEST

/* Flushes and a delete by index ask for a new dump; ACQUIRE changes
 * nothing; NEWAE is counters only; a partial dump forgets nothing. */
START_TEST(event_kinds)
{
	struct kmirror *m = mirror_of("kderive", "transport-sa.bin", "transport-policy.bin");
	uint64_t gen = kmirror_gen(m);
	struct xm_msg x = { .type = XFRM_MSG_DELPOLICY };

	ck_assert_int_eq(feed(m, "xfrm", "flush.bin"), KM_RESYNC);
	ck_assert_int_eq(feed(m, "kderive", "acquire.bin"), 0);
	ck_assert_int_eq(feed(m, "kderive", "newae.bin"), KM_COUNTERS);
	ck_assert_uint_eq(kmirror_gen(m), gen);
	ck_assert_uint_eq(kmirror_counters_gen(m), 1);
	ck_assert_int_eq(kmirror_event(m, &x), KM_RESYNC); /* an id alone */
	kmirror_load_begin(m, false);
	feed(m, "kderive", "events-end-sa.bin");
	kmirror_load_end(m, false, false);
	ck_assert_uint_eq(kmirror_nstates(m), 6);
	kmirror_load_begin(m, false);
	feed(m, "kderive", "events-end-sa.bin");
	kmirror_load_end(m, false, true);
	ck_assert_uint_eq(kmirror_nstates(m), 1);
	ck_assert_uint_eq(kmirror_npolicies(m), 4); /* the SPD not dumped again */
	ck_assert_uint_gt(kmirror_gen(m), gen);
	kmirror_free(m);
}
END_TEST

/* Put again with only its counters moved (a dump for fresh counters), an
 * object changes the counters' generation, not the objects'. */
START_TEST(counters_only_put)
{
	struct kmirror *m = mirror_of("kderive", "transport-sa.bin", "transport-policy.bin");
	uint64_t gen = kmirror_gen(m), cgen = kmirror_counters_gen(m);
	size_t pos = 0;
	struct xm_state s = kmirror_next_state(m, &pos)->s;
	struct xm_policy p;

	pos = 0;
	p = kmirror_next_policy(m, &pos)->p;
	kmirror_load_begin(m, false);
	feed(m, "kderive", "transport-sa.bin");
	kmirror_load_end(m, false, true);
	ck_assert_uint_eq(kmirror_gen(m), gen);
	ck_assert_uint_gt(kmirror_counters_gen(m), cgen);
	s.curlft.bytes += 1000;
	s.curlft.packets += 10;
	s.stats.replay++;
	s.lastused = 12345;
	ck_assert_int_eq(kmirror_put_state(m, &s), 0);
	p.curlft.use_time = 12345;
	ck_assert_int_eq(kmirror_put_policy(m, &p), 0);
	ck_assert_uint_eq(kmirror_gen(m), gen);
	s.reqid++;
	ck_assert_int_eq(kmirror_put_state(m, &s), 0);
	ck_assert_uint_gt(kmirror_gen(m), gen);
	gen = kmirror_gen(m);
	p.priority++;
	ck_assert_int_eq(kmirror_put_policy(m, &p), 0);
	ck_assert_uint_gt(kmirror_gen(m), gen);
	kmirror_free(m);
}
END_TEST

/* An UPDSA of a valid state: the kernel takes its lifetimes, not its
 * keys (xfrm_state_update()), whatever the event says. */
START_TEST(update_keeps_keys)
{
	struct kmirror *m = mirror_of("kderive", "transport-sa.bin", "transport-policy.bin");
	struct xm_msg u = { .type = XFRM_MSG_UPDSA };
	const struct km_state *got;
	struct xm_key k;
	const struct km_state *ks;
	size_t pos = 0;
	uint32_t bits;

	while ((ks = kmirror_next_state(m, &pos)) && !ks->s.crypt.present && !ks->s.aead.present)
		;
	ck_assert_ptr_nonnull(ks); /* an ESP state */
	u.sa = ks->s;
	bits = u.sa.crypt.present ? u.sa.crypt.key_bits : u.sa.aead.key_bits;
	u.sa.crypt.key_bits += 64;
	u.sa.aead.key_bits += 64;
	u.sa.lft.hard_add_expires_seconds = 3600;
	ck_assert_int_eq(kmirror_event(m, &u), KM_OBJECTS);
	xm_state_key(&u.sa, &k);
	got = kmirror_find_state(m, &k);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->s.crypt.present ? got->s.crypt.key_bits : got->s.aead.key_bits,
			  bits);
	ck_assert_uint_eq(got->s.lft.hard_add_expires_seconds, 3600);
	kmirror_free(m);
}
END_TEST

/* A soft expiry carries no algorithm: the state stays as it was (its
 * counters updated); the hard one removes it (no DELSA follows). */
START_TEST(expiry)
{
	struct kmirror *m = kmirror_new();
	struct fx_msg msgs[4];
	size_t len, pos = 0;
	uint8_t *b = fx_load_dir("xfrm", "expire-sa.bin", &len);
	const struct km_state *ks;
	struct xm_msg x;
	int i;

	ck_assert_uint_eq(fx_split(b, len, msgs, 4), 3);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(xm_parse(msgs[i].p, msgs[i].len, &x), 0);
		ck_assert_int_eq(kmirror_event(m, &x), i ? KM_COUNTERS : KM_OBJECTS);
	}
	ck_assert(!x.hard);
	ks = kmirror_next_state(m, &pos);
	ck_assert_ptr_nonnull(ks);
	ck_assert(ks->s.crypt.present && ks->s.auth.present);
	ck_assert_uint_eq(ks->s.lft.hard_add_expires_seconds, 2);
	expect(m, false, ""); /* its reqid 0x53400008 is in our band */
	ck_assert_int_eq(xm_parse(msgs[2].p, msgs[2].len, &x), 0);
	ck_assert(x.hard);
	ck_assert_int_eq(kmirror_event(m, &x), KM_OBJECTS);
	ck_assert_uint_eq(kmirror_nstates(m), 0);
	free(b);
	kmirror_free(m);
}
END_TEST

/* ACQUIRE and NEWAE as the kernel sent them. */
START_TEST(parse_acquire_newae)
{
	struct fx_msg msgs[2];
	size_t len;
	uint8_t *b = fx_load_dir("kderive", "acquire.bin", &len);
	struct xm_msg x;

	ck_assert_uint_eq(fx_split(b, len, msgs, 2), 1);
	ck_assert_int_eq(xm_parse(msgs[0].p, msgs[0].len, &x), 0);
	ck_assert_uint_eq(x.type, XFRM_MSG_ACQUIRE);
	ck_assert_uint_eq(x.acq.proto, IPPROTO_ESP);
	ck_assert_uint_eq(x.acq.spi, 0);
	ck_assert_uint_eq(ntohl(x.acq.daddr.a4), 0xc0000263); /* 192.0.2.99 */
	ck_assert_uint_eq(ntohl(x.acq.saddr.a4), 0xc0000215);
	ck_assert_uint_eq(x.acq.sel.proto, IPPROTO_UDP);
	ck_assert_uint_eq(x.acq.sp.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(x.acq.sp.priority, 2000);
	ck_assert_uint_eq(x.acq.sp.ntmpl, 1);
	ck_assert_uint_eq(x.acq.sp.tmpl[0].reqid, 8);
	ck_assert_uint_ne(x.acq.seq, 0);
	/* cut short: malformed */
	ck_assert_int_eq(xm_parse(msgs[0].p, NLMSG_HDRLEN + 100, &x), -EINVAL);
	free(b);
	b = fx_load_dir("kderive", "newae.bin", &len);
	ck_assert_uint_eq(fx_split(b, len, msgs, 2), 1);
	ck_assert_int_eq(xm_parse(msgs[0].p, msgs[0].len, &x), 0);
	ck_assert_uint_eq(x.type, XFRM_MSG_NEWAE);
	ck_assert_uint_eq(ntohl(x.sa.spi), 0xc2000001);
	ck_assert_uint_eq(x.sa.proto, IPPROTO_ESP);
	ck_assert_uint_eq(x.sa.family, AF_INET);
	ck_assert_uint_eq(x.sa.reqid, 6);
	ck_assert(x.ae_ltime);
	ck_assert(x.sa.has_replay);
	free(b);
}
END_TEST

static bool not_band(void *arg, const struct xm_state *s)
{
	(void)arg;
	return !xfrm_own_reqid(s->reqid);
}

static bool no_block(void *arg, const struct xm_policy *p)
{
	(void)arg;
	return p->action != XFRM_POLICY_BLOCK;
}

/* A filter: refused objects are not kept, and one replaced by a refused
 * object is forgotten. */
START_TEST(filter)
{
	struct kmirror *m = kmirror_new();
	const struct km_state *ks;
	struct xm_state s;
	size_t pos = 0;

	kmirror_set_filter(m, not_band, no_block, NULL);
	kmirror_load_begin(m, false);
	feed(m, "kderive", "transport-sa.bin");
	kmirror_load_end(m, false, true);
	kmirror_load_begin(m, true);
	feed(m, "kderive", "transport-policy.bin");
	kmirror_load_end(m, true, true);
	ck_assert_uint_eq(kmirror_nstates(m), 4);   /* not 0x53400011's */
	ck_assert_uint_eq(kmirror_npolicies(m), 3); /* not the block */
	while ((ks = kmirror_next_state(m, &pos)) && ks->s.reqid != 6)
		;
	ck_assert_ptr_nonnull(ks);
	s = ks->s;
	s.reqid = 0x53400001; /* replaced by one of ours */
	ck_assert_int_eq(kmirror_put_state(m, &s), 0);
	ck_assert_uint_eq(kmirror_nstates(m), 3);
	kmirror_free(m);
}
END_TEST

/* Many states come and go: the tables keep exactly the live ones, and
 * their memory stays bounded by the peak (no growth per event). */
START_TEST(churn)
{
	struct kmirror *m = kmirror_new();
	struct xm_state s;
	struct xm_key k;
	size_t bytes = 0, i, round;

	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.proto = IPPROTO_ESP;
	s.mode = XFRM_MODE_TUNNEL;
	s.daddr.a4 = htonl(0xc0000201);
	s.crypt.present = true;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 5000; i++) {
			s.spi = htonl(0x10000 + (uint32_t)(round * 5000 + i));
			ck_assert_int_eq(kmirror_put_state(m, &s), 0);
		}
		ck_assert_uint_eq(kmirror_nstates(m), 5000);
		for (i = 0; i < 5000; i++) {
			s.spi = htonl(0x10000 + (uint32_t)(round * 5000 + i));
			ck_assert(kmirror_del_state(m, &s));
			ck_assert(!kmirror_del_state(m, &s));
		}
		ck_assert_uint_eq(kmirror_nstates(m), 0);
		if (round == 1)
			bytes = kmirror_bytes(m);
		if (round > 1)
			ck_assert_uint_le(kmirror_bytes(m), bytes);
	}
	s.spi = htonl(7);
	xm_state_key(&s, &k);
	ck_assert_ptr_null(kmirror_find_state(m, &k));
	ck_assert_int_eq(kmirror_put_state(m, &s), 0);
	ck_assert_ptr_nonnull(kmirror_find_state(m, &k));
	kmirror_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kderive");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, sets_selector_pairs_fwd);
	tcase_add_test(tc, rekey_two_sets);
	tcase_add_test(tc, libreswan_reqids);
	tcase_add_test(tc, charon_marks_if_id);
	tcase_add_test(tc, transport_larval_unused_shunt);
	tcase_add_test(tc, ours_left_out);
	tcase_add_test(tc, priority_band_not_ours);
	tcase_add_test(tc, events_converge);
	tcase_add_test(tc, event_kinds);
	tcase_add_test(tc, counters_only_put);
	tcase_add_test(tc, update_keeps_keys);
	tcase_add_test(tc, parse_acquire_newae);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, churn);
	tcase_add_test(tc, filter);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
