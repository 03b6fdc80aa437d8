/* check_xfrm_nlsock.c: the netlink request loop (nlsock.h) over canned
 * replies: ACKs, errors with and without extended-ACK text (the kernel's
 * recorded ESRCH among them), replies of other requests, dumps and their
 * interruptions, cut and oversized datagrams, events; a real socket
 * (NETLINK_ROUTE, unprivileged, read only); libnl's error codes; the
 * probe's default opener. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include <netlink/errno.h>

#include "nlsock.h"
#include "probe.h"
#include "xfrm_fake.h"

/* Canned datagrams answering whatever is sent; seq 0 in a canned message
 * is replaced by the request's. */
struct canned {
	uint8_t d[8][1024];
	size_t len[8];
	ssize_t ret[8];       /* nonzero: recv() returns this instead */
	size_t n, next;
	uint32_t seq;
	int send_err;
	unsigned sends;
};

static int c_send(void *arg, const void *buf, size_t len)
{
	struct canned *c = arg;
	struct nlmsghdr h;

	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.nlmsg_len, len);
	ck_assert_uint_eq(h.nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK), NLM_F_REQUEST | NLM_F_ACK);
	c->seq = h.nlmsg_seq;
	c->sends++;
	c->next = 0; /* every request gets the whole script */
	return c->send_err;
}

static ssize_t c_recv(void *arg, void *buf, size_t cap, bool wait)
{
	struct canned *c = arg;
	size_t i, off;

	(void)wait;
	if (c->next == c->n)
		return -EAGAIN;
	i = c->next++;
	if (c->ret[i])
		return c->ret[i];
	memcpy(buf, c->d[i], c->len[i] < cap ? c->len[i] : cap);
	for (off = 0; off + NLMSG_HDRLEN <= c->len[i] && off < cap;) {
		struct nlmsghdr *h = (struct nlmsghdr *)((uint8_t *)buf + off);

		if (h->nlmsg_len < NLMSG_HDRLEN)
			break;
		if (!h->nlmsg_seq)
			h->nlmsg_seq = c->seq;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return (ssize_t)c->len[i];
}

static void c_close(void *arg)
{
	(void)arg;
}

static const struct nlsock_ops c_ops = { c_send, c_recv, c_close };

/* Append a message to datagram @i. */
static void put(struct canned *c, size_t i, uint16_t type, uint16_t flags, uint32_t seq,
		const void *p, size_t len)
{
	struct nlmsghdr h = { (uint32_t)(NLMSG_HDRLEN + len), type, flags, seq, 0 };

	if (i >= c->n)
		c->n = i + 1;
	memcpy(c->d[i] + c->len[i], &h, sizeof(h));
	memcpy(c->d[i] + c->len[i] + NLMSG_HDRLEN, p, len);
	c->len[i] += NLMSG_ALIGN(h.nlmsg_len);
}

/* An NLMSG_ERROR: @err, the request header, and @text as extended ACK
 * (after the whole request echoed when not @capped). */
static void put_err(struct canned *c, size_t i, int err, const char *text, bool capped)
{
	uint8_t b[512];
	struct nlmsgerr e = { .error = err };
	size_t len = sizeof(e);
	uint16_t flags = capped ? NLM_F_CAPPED : 0;

	memset(b, 0, sizeof(b));
	e.msg.nlmsg_len = NLMSG_HDRLEN + (capped ? 0 : 24);
	memcpy(b, &e, sizeof(e));
	if (!capped)
		len += 24; /* the echoed payload */
	if (text) {
		struct nlattr a = { (uint16_t)(NLA_HDRLEN + strlen(text) + 1), NLMSGERR_ATTR_MSG };
		struct nlattr other = { NLA_HDRLEN + 4, NLMSGERR_ATTR_OFFS };

		flags |= NLM_F_ACK_TLVS;
		memcpy(b + len, &other, sizeof(other));
		len += NLA_HDRLEN + 4;
		memcpy(b + len, &a, sizeof(a));
		memcpy(b + len + NLA_HDRLEN, text, strlen(text) + 1);
		len += NLA_ALIGN(a.nla_len);
	}
	put(c, i, NLMSG_ERROR, flags, 0, b, len);
}

static struct nlsock *sock(struct canned *c)
{
	struct nlsock *s;

	ck_assert_int_eq(nlsock_open_ops(&s, &c_ops, c), 0);
	ck_assert_int_eq(nlsock_fd(s), -1);
	ck_assert_int_eq(nlsock_set_rcvbuf(s, 1 << 20), 0);
	return s;
}

static struct nlmsghdr *req(void)
{
	static struct nlmsghdr h;

	memset(&h, 0, sizeof(h));
	h.nlmsg_len = sizeof(h);
	h.nlmsg_type = 0x12;
	return &h;
}

static int count_cb(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int fail_cb(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return -ENOSPC;
}

START_TEST(ack_and_errors)
{
	struct canned c;
	struct nlsock *s;
	struct reason why;
	int n = 0;

	memset(&c, 0, sizeof(c));
	s = sock(&c);
	put_err(&c, 0, 0, NULL, true);
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), 0);
	ck_assert_str_eq(why.text, "");
	ck_assert_uint_eq(nlsock_requests(s), 1);

	memset(&c, 0, sizeof(c));
	put_err(&c, 0, -ENOENT, "Requested CRYPT algorithm not found", true);
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -ENOENT);
	ck_assert_str_eq(why.text, "No such file or directory: Requested CRYPT algorithm not found");
	memset(&c, 0, sizeof(c));
	put_err(&c, 0, -EINVAL, "not capped", false);
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -EINVAL);
	ck_assert_str_eq(why.text, "Invalid argument: not capped");
	memset(&c, 0, sizeof(c));
	put_err(&c, 0, EPERM, NULL, true); /* a positive error, as old kernels never sent */
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -EPERM);
	ck_assert_str_eq(why.text, "Operation not permitted");

	/* replies to other requests are skipped; data goes to the callback,
	 * whose error is returned after the ACK */
	memset(&c, 0, sizeof(c));
	put(&c, 0, 0x10, 0, 99, "xxxx", 4);
	put_err(&c, 0, -EEXIST, NULL, true);
	((struct nlmsghdr *)c.d[0])->nlmsg_seq = 99;
	((struct nlmsghdr *)(c.d[0] + NLMSG_ALIGN(NLMSG_HDRLEN + 4)))->nlmsg_seq = 99;
	put(&c, 1, 0x10, 0, 0, "data", 4);
	put(&c, 1, 0x10, 0, 0, "more", 4);
	put_err(&c, 2, 0, NULL, true);
	ck_assert_int_eq(nlsock_request(s, req(), fail_cb, &n, &why), -ENOSPC);
	ck_assert_int_eq(n, 1);

	/* an error too short to hold its struct */
	memset(&c, 0, sizeof(c));
	put(&c, 0, NLMSG_ERROR, 0, 0, "ab", 2);
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -EIO);
	ck_assert_str_eq(why.text, "truncated netlink error");
	nlsock_close(s);
	nlsock_close(NULL);
}
END_TEST

/* The kernel's own answer to a GETSA for a missing SA. */
START_TEST(recorded_esrch)
{
	struct canned c;
	struct nlsock *s;
	struct reason why;
	size_t len;
	uint8_t *b = fx_load("error-getsa-esrch.bin", &len);

	memset(&c, 0, sizeof(c));
	s = sock(&c);
	ck_assert_uint_le(len, sizeof(c.d[0]));
	memcpy(c.d[0], b, len);
	((struct nlmsghdr *)c.d[0])->nlmsg_seq = 0;
	c.len[0] = len;
	c.n = 1;
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -ESRCH);
	ck_assert_str_eq(why.text, "No such process");
	nlsock_close(s);
	free(b);
}
END_TEST

static void restart_cb(void *arg)
{
	*(int *)arg = 0;
}

START_TEST(dumps)
{
	struct canned c;
	struct nlsock *s;
	struct reason why;
	int n = 0, e = -ENOBUFS;

	memset(&c, 0, sizeof(c));
	s = sock(&c);
	put(&c, 0, 0x10, NLM_F_MULTI, 0, "aaaa", 4);
	put(&c, 1, 0x10, NLM_F_MULTI, 0, "bbbb", 4);
	put(&c, 1, NLMSG_DONE, NLM_F_MULTI, 0, &n, sizeof(n));
	ck_assert_int_eq(nlsock_dump(s, req(), count_cb, &n, restart_cb, &why), 0);
	ck_assert_int_eq(n, 2);
	/* interrupted every time: four tries, each from scratch */
	((struct nlmsghdr *)c.d[0])->nlmsg_flags |= NLM_F_DUMP_INTR;
	c.sends = 0;
	ck_assert_int_eq(nlsock_dump(s, req(), count_cb, &n, restart_cb, &why), -EAGAIN);
	ck_assert_uint_eq(c.sends, 4);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(why.text, "dump interrupted by changes");
	/* NLMSG_DONE carrying an error */
	memset(&c, 0, sizeof(c));
	put(&c, 0, NLMSG_DONE, NLM_F_MULTI, 0, &e, sizeof(e));
	ck_assert_int_eq(nlsock_dump(s, req(), count_cb, &n, NULL, &why), -ENOBUFS);
	ck_assert_str_eq(why.text, "No buffer space available");
	nlsock_close(s);
}
END_TEST

START_TEST(transport_failures)
{
	struct canned c;
	struct nlsock *s;
	struct reason why;
	bool lost = false;
	int n = 0;

	memset(&c, 0, sizeof(c));
	s = sock(&c);
	c.send_err = -ECONNREFUSED;
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -ECONNREFUSED);
	ck_assert_str_eq(why.text, "netlink send: Connection refused");
	c.send_err = 0;
	/* nothing ever comes */
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -EIO);
	ck_assert_str_eq(why.text, "netlink receive: Input/output error");
	c.n = 1;
	c.ret[0] = -ENOBUFS;
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -ENOBUFS);
	/* a datagram larger than the buffer */
	c.ret[0] = NLSOCK_BUF + 1;
	ck_assert_int_eq(nlsock_request(s, req(), NULL, NULL, &why), -EMSGSIZE);

	/* events: cut datagrams and drops say "lost"; read until empty */
	memset(&c, 0, sizeof(c));
	put(&c, 0, 0x11, 0, 5, "aaaa", 4);
	c.ret[1] = -ENOBUFS;
	c.n = 3;
	put(&c, 2, 0x11, 0, 5, "bbbb", 4);
	ck_assert_int_eq(nlsock_read_events(s, count_cb, &n, &lost), 0);
	ck_assert_int_eq(n, 2);
	ck_assert(lost);
	memset(&c, 0, sizeof(c));
	c.n = 1;
	c.ret[0] = NLSOCK_BUF + 10;
	lost = false;
	ck_assert_int_eq(nlsock_read_events(s, count_cb, &n, &lost), 0);
	ck_assert(lost);
	memset(&c, 0, sizeof(c));
	c.n = 1;
	c.ret[0] = -EBADF;
	ck_assert_int_eq(nlsock_read_events(s, count_cb, &n, &lost), -EBADF);
	nlsock_close(s);
}
END_TEST

/* A stream that never ends: one event per datagram, forever. */
static ssize_t endless_recv(void *arg, void *buf, size_t cap, bool wait)
{
	struct nlmsghdr h = { NLMSG_HDRLEN, 0x11, 0, 0, 0 };

	(void)wait;
	ck_assert_uint_ge(cap, sizeof(h));
	(*(unsigned *)arg)++;
	memcpy(buf, &h, sizeof(h));
	return (ssize_t)sizeof(h);
}

/* Under an endless stream of events a read returns after
 * NLSOCK_EVENT_BATCH datagrams: the caller's loop gets its turn. */
START_TEST(events_batch)
{
	static const struct nlsock_ops ops = { c_send, endless_recv, c_close };
	unsigned reads = 0;
	struct nlsock *s;
	bool lost = false;
	int n = 0;

	ck_assert_int_eq(nlsock_open_ops(&s, &ops, &reads), 0);
	ck_assert_int_eq(nlsock_read_events(s, count_cb, &n, &lost), 0);
	ck_assert_uint_eq(reads, NLSOCK_EVENT_BATCH);
	ck_assert_int_eq(n, NLSOCK_EVENT_BATCH);
	ck_assert(!lost);
	nlsock_close(s);
}
END_TEST

static int link_cb(const struct nlmsghdr *h, void *arg)
{
	if (h->nlmsg_type == RTM_NEWLINK)
		(*(int *)arg)++;
	return 0;
}

/* A real netlink socket: rtnetlink's link dump needs no privilege. */
START_TEST(real_socket)
{
	static const unsigned groups[] = { RTNLGRP_LINK };
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} r;
	struct nlsock *s;
	struct reason why;
	bool lost = false;
	int n = 0;

	ck_assert_int_eq(nlsock_open(&s, NETLINK_ROUTE, groups, 1), 0);
	ck_assert_int_ge(nlsock_fd(s), 0);
	ck_assert_int_eq(nlsock_set_rcvbuf(s, 1 << 16), 0);
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = sizeof(r);
	r.h.nlmsg_type = RTM_GETLINK;
	r.h.nlmsg_flags = NLM_F_DUMP;
	r.i.ifi_family = AF_UNSPEC;
	ck_assert_int_eq(nlsock_dump(s, &r.h, link_cb, &n, NULL, &why), 0);
	ck_assert_int_ge(n, 1); /* lo at least */
	ck_assert_int_eq(nlsock_read_events(s, link_cb, &n, &lost), 0);
	nlsock_close(s);
	ck_assert_int_lt(nlsock_open(&s, 31, NULL, 0), 0); /* no such netlink family */
	ck_assert_ptr_null(s);
	ck_assert_int_lt(nlsock_open(&s, NETLINK_ROUTE, (const unsigned[]){ 4000 }, 1), 0);
}
END_TEST

START_TEST(libnl_codes)
{
	static const struct {
		int nle, err;
	} v[] = {
		{ 0, 0 },
		{ NLE_NOMEM, -ENOMEM },
		{ -NLE_MSGSIZE, -EMSGSIZE },
		{ NLE_INVAL, -EINVAL },
		{ NLE_MISSING_ATTR, -EINVAL },
		{ NLE_BAD_SOCK, -EBADF },
		{ NLE_AGAIN, -EAGAIN },
		{ -NLE_PROTO_MISMATCH, -EPROTONOSUPPORT },
		{ NLE_PERM, -EPERM },
		{ NLE_EXIST, -EEXIST },
		{ NLE_OBJ_NOTFOUND, -ENOENT },
		{ NLE_NOADDR, -EADDRNOTAVAIL },
		{ NLE_AF_NOSUPPORT, -EAFNOSUPPORT },
		{ NLE_NOACCESS, -EACCES },
		{ NLE_NODEV, -ENODEV },
		{ NLE_FAILURE, -EIO },
		{ 12345, -EIO },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(nlsock_errno(v[i].nle), v[i].err);
		ck_assert_int_eq(xfrm_nle_errno(v[i].nle), v[i].err);
	}
}
END_TEST

/* The default opener: a fresh network namespace, which needs privileges.
 * Whatever the machine, an answer other than 0 comes with a reason. */
START_TEST(probe_default_opener)
{
	struct probe *p;
	struct xm_state st;
	struct reason why;
	int r;

	memset(&st, 0, sizeof(st));
	st.family = AF_INET;
	st.daddr.a4 = htonl(0xc0000201);
	st.saddr.a4 = htonl(0xc0000202);
	st.spi = htonl(0x1000);
	st.proto = IPPROTO_COMP;
	st.mode = XFRM_MODE_TUNNEL;
	st.reqid = 0x53400001;
	st.comp.present = true;
	strcpy(st.comp.name, "deflate");
	ck_assert_int_eq(probe_new(&p, NULL, NULL), 0);
	r = probe_states(p, &st, 1, &why);
	if (r)
		ck_assert_msg(why.text[0] != '\0', "probe failed (%d) without a reason", r);
	ck_assert_int_eq(probe_states(p, &st, 0, &why), 0);
	probe_free(p);
	probe_free(NULL);
}
END_TEST

static Suite *nlsock_suite(void)
{
	Suite *s = suite_create("nlsock");
	TCase *tc = tcase_create("requests");

	tcase_add_test(tc, ack_and_errors);
	tcase_add_test(tc, recorded_esrch);
	tcase_add_test(tc, dumps);
	tcase_add_test(tc, transport_failures);
	tcase_add_test(tc, events_batch);
	tcase_add_test(tc, real_socket);
	tcase_add_test(tc, libnl_codes);
	tcase_add_test(tc, probe_default_opener);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nlsock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
