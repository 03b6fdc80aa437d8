/* xfrm_fake.h: test helpers for the XFRM unit tests.
 *
 * Fixtures: the netlink bytes recorded from a real kernel in
 * tests/data/xfrm/ (see its README), loaded and split into messages.
 *
 * A fake kernel: an nlsock transport (nlsock.h ops) that answers XFRM
 * requests the way the kernel does (ACK / NLMSG_ERROR with extended-ACK
 * text, EEXIST on an existing key, ESRCH/ENOENT on a missing one, dumps
 * ending in NLMSG_DONE) from a table of states and policies, and queues
 * the events of deletes on an event socket.  Messages are parsed and built
 * with xfrm_msg.h.  Failures and event loss can be injected.  No
 * privileges, no real socket: the xfrm.c logic runs in `make check`.
 */
#ifndef SPIGRP_XFRM_FAKE_H
#define SPIGRP_XFRM_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "nlsock.h"
#include "sadb.h"
#include "xfrm_msg.h"

/* ---- fixtures ---- */

struct fx_msg {
	const uint8_t *p;  /* the message (struct nlmsghdr onward) */
	size_t len;        /* bytes there up to the next message or the end */
};

/* The bytes of tests/data/xfrm/@name (the test fails when it is missing);
 * free() them. */
uint8_t *fx_load(const char *name, size_t *len);
/* The same from tests/data/@dir/ (kderive: tests/data/kderive/). */
uint8_t *fx_load_dir(const char *dir, const char *name, size_t *len);
/* Split @len bytes at @b into messages (at most @max).  Return: the count. */
size_t fx_split(const uint8_t *b, size_t len, struct fx_msg *out, size_t max);

/* The model of contrib/seed.conf followed by the lines of @extra (may be
 * NULL), seen from its left end (192.168.2.100 and 3049:1::1 local), with
 * reqids assigned; *@c gets its cfg (free it after the sadb). */
struct sadb *fx_seed_model(const char *extra, struct cfg **c);

/* ---- the fake kernel ---- */

struct fake;

struct fake *fake_new(void);
void fake_free(struct fake *f);

/* A request socket and an event socket on @f (nlsock_open_ops()). */
void fake_sockets(struct fake *f, struct nlsock **req, struct nlsock **ev);

/* Hold the NEWSA / NEWPOLICY at @msg (@len bytes, e.g. from a fixture)
 * as if someone had added it.  Return: 0, or -errno of the parse. */
int fake_hold(struct fake *f, const void *msg, size_t len);
/* fake_hold() every NEWSA / NEWPOLICY of fixture @name.  Return: how many. */
size_t fake_hold_fixture(struct fake *f, const char *name);
/* The same from tests/data/@dir/. */
size_t fake_hold_fixture_dir(struct fake *f, const char *dir, const char *name);

/* Queue the bytes of @len at @msg on the event socket as one datagram. */
void fake_event(struct fake *f, const void *msg, size_t len);
/* Queue each message of fixture @name as an event datagram. */
void fake_event_fixture(struct fake *f, const char *name);
void fake_event_fixture_dir(struct fake *f, const char *dir, const char *name);
/* The next read of the event socket says ENOBUFS (events were lost). */
void fake_overrun(struct fake *f);

/* Events of deletes (default on). */
void fake_set_events(struct fake *f, bool on);
/* Delete the @n-th (0-based) held state / policy behind the daemon's back
 * (with its event when events are on).  Return: false when there is none. */
bool fake_delete_state(struct fake *f, size_t n);
bool fake_delete_policy(struct fake *f, size_t n);
/* Replace the @n-th held policy's priority (UPDPOLICY event). */
bool fake_update_policy(struct fake *f, size_t n, uint32_t priority);
/* Queue a hard (or soft) EXPIRE of the @n-th held state and drop it when
 * hard. */
bool fake_expire_state(struct fake *f, size_t n, bool hard);
/* Drop everything, queue FLUSHSA and FLUSHPOLICY events. */
void fake_flush(struct fake *f);

/* Fail the next requests of @type (0: any) for states of protocol @proto
 * (0: any) with @err and extended-ACK @text (may be NULL), @count times
 * (-1: always).  Up to four rules, the first that matches applies; a
 * @count of 0 removes every rule. */
void fake_fail(struct fake *f, uint16_t type, uint8_t proto, int err, const char *text, int count);
/* Mark the next @n dumps interrupted (NLM_F_DUMP_INTR). */
void fake_interrupt_dumps(struct fake *f, int n);
/* Answer nothing at all to the next request (a lost reply). */
void fake_mute_next(struct fake *f);

/* Counters of the held state with SPI @spi (host order). */
bool fake_set_counters(struct fake *f, uint32_t spi, uint64_t bytes, uint64_t packets,
		       uint32_t integrity_failed);

/* The held state with SPI @spi has sent up to @oseq (xm_state_set_oseq()). */
bool fake_set_oseq(struct fake *f, uint32_t spi, uint64_t oseq);

/* What is held. */
size_t fake_nstates(const struct fake *f);
size_t fake_npolicies(const struct fake *f);
const struct xm_state *fake_state(const struct fake *f, size_t n);
const struct xm_policy *fake_policy(const struct fake *f, size_t n);
/* Requests answered so far, and of them those of @type. */
unsigned long fake_requests(const struct fake *f, uint16_t type);

#endif
