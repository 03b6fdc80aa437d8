/* check_xfrm_kern.c: xfrm.c (install, remove, adopt, events, counters,
 * probe) against the fake kernel of xfrm_fake.h, without privileges.
 *
 * The model is contrib/seed.conf plus two shunt groups, seen from the left
 * end (192.168.2.100, 3049:1::1): the same config tests/data/xfrm's
 * ours-* files were recorded with, so adoption is checked against the
 * real kernel's dump of it and the events of a real daemon's stop. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cfg.h"
#include "kview.h"
#include "mirror.h"
#include "nlsock.h"
#include "sadb.h"
#include "xfrm.h"
#include "xfrm_fake.h"
#include "xfrm_own.h"

#define MAXG 16

enum { SEED4, SEED6, SEED4R, SEED6R, PASS4, DROP6, NGROUPS };

static const char shunt_groups[] =
	"[group pass4]\nsaid = %pass\nsrc-ts = 10.9.1.0/24\ndst-ts = 10.9.2.0/24\n"
	"[group drop6]\nsaid = %drop\nsrc-ts = fd00:9:1::/64\ndst-ts = fd00:9:2::/64\n";

/* The daemon's side: the model and its runtime state. */
struct model {
	struct cfg *c;
	struct sadb *db;
	bool installed[MAXG], userspace[MAXG];
	int adopted[MAXG], lost[MAXG];
	struct reason why[MAXG];
	struct xfrm_owner o;
};

static size_t gi(const struct model *md, const struct sadb_group *g)
{
	size_t i;

	for (i = 0; i < md->db->ngroup; i++)
		if (md->db->group[i] == g)
			return i;
	ck_abort_msg("group %s is not in the model", g->name);
	return 0;
}

static bool o_wants(void *arg, const struct sadb_group *g)
{
	struct model *md = arg;

	return !md->userspace[gi(md, g)];
}

static bool o_installed(void *arg, const struct sadb_group *g)
{
	struct model *md = arg;

	return md->installed[gi(md, g)];
}

static void o_adopted(void *arg, const struct sadb_group *g)
{
	struct model *md = arg;

	md->adopted[gi(md, g)]++;
	md->installed[gi(md, g)] = true;
}

static void o_lost(void *arg, const struct sadb_group *g, const struct reason *why)
{
	struct model *md = arg;

	md->lost[gi(md, g)]++;
	md->installed[gi(md, g)] = false;
	md->why[gi(md, g)] = *why;
}

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->db = fx_seed_model(shunt_groups, &m->c);
	ck_assert_uint_eq(m->db->ngroup, NGROUPS);
	ck_assert_str_eq(m->db->group[PASS4]->name, "pass4");
	m->o = (struct xfrm_owner){ m, o_wants, o_installed, o_adopted, o_lost };
}

static void model_free(struct model *md)
{
	sadb_free(md->db);
	cfg_free(md->c);
}

static const struct sadb_group *G(const struct model *md, size_t i)
{
	return md->db->group[i];
}

/* The probe's "throw-away namespace": another fake, or none (-EPERM). */
static int probe_open(void *arg, struct nlsock **out, struct reason *why)
{
	if (!arg) {
		reason_set(why, "cannot create a probe network namespace: not here");
		return -EPERM;
	}
	fake_sockets(arg, out, NULL);
	return 0;
}

static struct xfrm *open_on(struct fake *f, struct fake *probe)
{
	struct xfrm_backend b = { NULL, NULL, probe_open, probe };
	struct xfrm *x;

	fake_sockets(f, &b.req, &b.ev);
	ck_assert_int_eq(xfrm_open_backend(&x, &b), 0);
	ck_assert_int_eq(xfrm_event_fd(x), -1);
	return x;
}

/* Each test's kernel, daemon side and model (a checked fixture). */
static struct fake *f;
static struct xfrm *x;
static struct model md;

static void setup(void)
{
	f = fake_new();
	x = open_on(f, NULL);
	model_init(&md);
}

static void teardown(void)
{
	xfrm_close(x);
	model_free(&md);
	fake_free(f);
}

static void install_all(void)
{
	struct reason why;
	size_t i;

	for (i = 0; i < NGROUPS; i++) {
		ck_assert_msg(xfrm_install_group(x, G(&md, i), &why) == 0, "%s: %s",
			      G(&md, i)->name, why.text);
		md.installed[i] = true;
	}
}

static void remove_all(struct xfrm *xf)
{
	struct reason why;
	size_t i;

	for (i = NGROUPS; i-- > 0;) {
		ck_assert_msg(xfrm_remove_group(xf, G(&md, i), &why) == 0, "%s", why.text);
		md.installed[i] = false;
	}
}

static int nlost(void)
{
	int n = 0;
	size_t i;

	for (i = 0; i < NGROUPS; i++)
		n += md.lost[i];
	return n;
}

/* ---- install and remove ------------------------------------------------ */

START_TEST(install_then_remove)
{
	install_all();
	/* as the real kernel held them (ours-*-dump.bin less its 4 IPIP/IPv6) */
	ck_assert_uint_eq(fake_nstates(f), 12);
	ck_assert_uint_eq(fake_npolicies(f), 12);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_NEWSA), 12);
	ck_assert_uint_eq(xfrm_requests_sent(x), 24);
	remove_all(x);
	ck_assert_uint_eq(fake_nstates(f) + fake_npolicies(f), 0);
	/* our own deletes come back as events: nobody is lost */
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert_int_eq(nlost(), 0);
	/* removing again: gone objects are no error */
	ck_assert_int_eq(xfrm_remove_group(x, G(&md, SEED4), NULL), 0);
}
END_TEST

/* The kernel refuses the AH state: everything added before goes again,
 * and the reason names the object and carries the kernel's text. */
START_TEST(install_all_or_nothing)
{
	struct reason why;

	fake_fail(f, XFRM_MSG_NEWSA, IPPROTO_AH, -EPROTONOSUPPORT, "Requested type not found", 1);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, SEED4), &why), -EPROTONOSUPPORT);
	ck_assert_str_eq(why.text, "adding ah.187a101a@192.168.2.110: Protocol not supported: "
				   "Requested type not found");
	ck_assert_uint_eq(fake_nstates(f), 0);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELSA), 2);
	/* the out policy is refused: the three states go */
	fake_fail(f, XFRM_MSG_NEWPOLICY, 0, -ENOMEM, NULL, 1);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, SEED4), &why), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(why.text, "adding policy out 10.0.1.0/24 -> 10.0.2.0/24: "));
	ck_assert_uint_eq(fake_nstates(f) + fake_npolicies(f), 0);
	/* ... and when the rollback fails too, the reason says so */
	fake_fail(f, XFRM_MSG_DELSA, 0, -EBUSY, "busy", -1);
	fake_fail(f, XFRM_MSG_NEWPOLICY, 0, -ENOMEM, NULL, 1);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, SEED6), &why), -ENOMEM);
	ck_assert_str_eq(why.text, "adding policy out fd00:1::/64 -> fd00:2::/64: Cannot allocate "
				   "memory; then deleting ah:187a101a@3049:1::2: Device or resource "
				   "busy: busy");
	ck_assert_uint_eq(fake_nstates(f), 3);
}
END_TEST

/* A foreign object with one of our keys refuses the group (EEXIST) and is
 * not touched; nothing of the group stays. */
START_TEST(install_foreign_key)
{
	struct reason why;

	ck_assert_uint_eq(fake_hold_fixture(f, "shunt-policy-dump.bin"), 3);
	/* a foreign template-less policy with pass4's out key */
	{
		struct xm_msg m = { .type = XFRM_MSG_NEWPOLICY };
		struct nlmsghdr *h;

		m.sp = *fake_policy(f, 2);
		inet_pton(AF_INET, "10.9.1.0", &m.sp.sel.saddr);
		inet_pton(AF_INET, "10.9.2.0", &m.sp.sel.daddr);
		m.sp.index = 0;
		ck_assert_int_eq(xm_build(&m, &h), 0);
		ck_assert_int_eq(fake_hold(f, h, h->nlmsg_len), 0);
		xm_free(h);
	}
	ck_assert_int_eq(xfrm_install_group(x, G(&md, PASS4), &why), -EEXIST);
	ck_assert_ptr_nonnull(strstr(why.text, "adding policy out 10.9.1.0/24 -> 10.9.2.0/24"));
	ck_assert_uint_eq(fake_npolicies(f), 4); /* in and fwd went again */
	ck_assert_int_eq(xfrm_install_group(x, G(&md, DROP6), &why), 0);
	ck_assert_uint_eq(fake_npolicies(f), 7);
}
END_TEST

/* ---- adoption ------------------------------------------------------------ */

/* The real kernel's dump of this config: the four seed groups match and are
 * adopted without a request; the shunt groups' policies are not in our
 * record, so they are someone else's and stay; charon's objects stay. */
START_TEST(adopt_recorded_dump)
{
	struct reason why;

	ck_assert_uint_eq(fake_hold_fixture(f, "ours-sa-dump.bin"), 16);
	ck_assert_uint_eq(fake_hold_fixture(f, "ours-policy-dump.bin"), 12);
	ck_assert_uint_eq(fake_hold_fixture(f, "charon-sa-dump.bin"), 4);
	ck_assert_uint_eq(fake_hold_fixture(f, "charon-policy-dump.bin"), 5);
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 4);
	ck_assert_int_eq(md.adopted[SEED4] + md.adopted[SEED6] + md.adopted[SEED4R] +
				 md.adopted[SEED6R], 4);
	ck_assert_int_eq(md.adopted[PASS4] + md.adopted[DROP6], 0);
	ck_assert_uint_eq(fake_requests(f, 0), 2); /* the two dumps, nothing else */
	ck_assert_uint_eq(fake_nstates(f), 20);
	ck_assert_uint_eq(fake_npolicies(f), 17);
	/* so pass4 is refused: the kernel holds someone else's policy */
	ck_assert_int_eq(xfrm_install_group(x, G(&md, PASS4), &why), -EEXIST);
	/* adopted groups are installed groups: counters read */
	{
		struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];

		ck_assert_int_eq(xfrm_read_counters(x, G(&md, SEED4), ctr), 0);
		ck_assert(ctr[2].packets > 0);         /* esp */
		ck_assert(ctr[0].packets == ctr[1].packets); /* tun = comp's tunnel mode */
	}
}
END_TEST

/* With the shunt record of the run that installed them, the shunt groups'
 * template-less policies are ours: every group is adopted. */
START_TEST(adopt_with_shunt_record)
{
	char dir[] = "/tmp/check_xfrm_kern.XXXXXX";
	struct fake *b = fake_new();
	struct xfrm *y;
	char path[256];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* an earlier run installs the shunt groups and records them */
	xfrm_set_state_dir(x, dir);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, PASS4), NULL), 0);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, DROP6), NULL), 0);
	snprintf(path, sizeof(path), "%s/shunts", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	memset(md.installed, 0, sizeof(md.installed));
	y = open_on(b, NULL);
	xfrm_set_state_dir(y, dir);
	fake_hold_fixture(b, "ours-sa-dump.bin");
	fake_hold_fixture(b, "ours-policy-dump.bin");
	fake_hold_fixture(b, "shunt-policy-dump.bin"); /* in our band, not recorded */
	ck_assert_int_eq(xfrm_adopt(y, md.db, &md.o), NGROUPS);
	ck_assert_uint_eq(fake_requests(b, 0), 2);
	ck_assert_uint_eq(fake_npolicies(b), 15);
	/* the stop: our deletes come back as the kernel's events */
	fake_set_events(b, false);
	remove_all(y);
	ck_assert_uint_eq(fake_npolicies(b), 3);
	ck_assert_uint_eq(fake_nstates(b), 4); /* the kernel's IPIP / IPv6 states */
	fake_event_fixture(b, "ours-stop-events.bin");
	ck_assert_int_eq(xfrm_process_events(y, md.db, &md.o), 0);
	xfrm_close(y);
	unlink(path);
	rmdir(dir);
	fake_free(b);
}
END_TEST

/* A changed key: that group's objects are stale and go; the others are
 * adopted; foreign and kernel-made objects stay. */
START_TEST(adopt_changed_group)
{
	struct cfg_sa *esp;

	esp = (struct cfg_sa *)G(&md, SEED4)->sa[2]->cfg;
	ck_assert_uint_eq(esp->said.proto, SAID_PROTO_ESP);
	esp->enckey.data[0] ^= 1;
	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	fake_hold_fixture(f, "libreswan-sa-dump.bin");
	fake_hold_fixture(f, "libreswan-policy-dump.bin"); /* priority in our band */
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 3);
	ck_assert_int_eq(md.adopted[SEED4], 0);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELSA), 3);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELPOLICY), 1);
	ck_assert_uint_eq(fake_nstates(f), 16 + 6 - 3);
	ck_assert_uint_eq(fake_npolicies(f), 12 + 3 - 1);
	/* our delete's events: nobody lost */
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
}
END_TEST

/* A group with one object missing is not adopted; its others go. */
START_TEST(adopt_partial_group)
{
	size_t i;

	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	fake_set_events(f, false);
	for (i = 0; i < fake_npolicies(f); i++)
		if (fake_policy(f, i)->dir == XFRM_POLICY_OUT && fake_policy(f, i)->ntmpl &&
		    fake_policy(f, i)->sel.family == AF_INET6)
			break;
	ck_assert(fake_delete_policy(f, i)); /* seed6's out policy */
	md.userspace[SEED4R] = true;          /* not the kernel's: ignored */
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 2);
	ck_assert_int_eq(md.adopted[SEED6], 0);
	ck_assert_int_eq(md.adopted[SEED4R], 0);
	/* seed6's three states and seed4-reverse's leftovers are stale */
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELSA), 6);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELPOLICY), 2);
}
END_TEST

/* Dumps interrupted by changes are tried again, up to a limit; a stale
 * object that cannot be deleted stays (logged), adoption goes on. */
START_TEST(adopt_dump_retries)
{
	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	fake_interrupt_dumps(f, 2);
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 4);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_GETSA), 3);
	memset(md.installed, 0, sizeof(md.installed));
	fake_interrupt_dumps(f, 10);
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), -EAGAIN);
	fake_interrupt_dumps(f, 0);
	/* stale objects whose deletes fail */
	md.userspace[SEED4] = true;
	fake_fail(f, XFRM_MSG_DELSA, 0, -EPERM, NULL, -1);
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 3);
	ck_assert_uint_eq(fake_nstates(f), 16);
	fake_fail(f, 0, 0, 0, NULL, 0);
	memset(md.installed, 0, sizeof(md.installed));
	fake_fail(f, XFRM_MSG_GETPOLICY, 0, -ENOMEM, NULL, 1);
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), -ENOMEM);
}
END_TEST

/* ---- events -------------------------------------------------------------- */

/* A real daemon's stop seen by another that did not send those deletes:
 * every adopted group is lost, with the object that went first named. */
START_TEST(events_recorded_stop)
{
	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 4);
	fake_event_fixture(f, "ours-stop-events.bin");
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 4);
	ck_assert_int_eq(md.lost[SEED4], 1);
	ck_assert_str_eq(md.why[SEED4].text,
			 "policy out 10.0.1.0/24 -> 10.0.2.0/24 deleted behind our back");
	ck_assert_str_eq(md.why[SEED6R].text,
			 "policy fwd fd00:2::/64 -> fd00:1::/64 deleted behind our back");
	ck_assert_int_eq(md.lost[PASS4] + md.lost[DROP6], 0);
	/* their remaining objects were deleted: only foreign ones are left */
	ck_assert_uint_eq(fake_nstates(f), 4);
	ck_assert_uint_eq(fake_npolicies(f), 6);
	/* the events of those deletes: nothing more happens */
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert_int_eq(nlost(), 4);
}
END_TEST

static size_t state_with_spi(const struct fake *k, uint32_t spi)
{
	size_t i;

	for (i = 0; i < fake_nstates(k); i++)
		if (fake_state(k, i)->spi == htonl(spi))
			return i;
	ck_abort_msg("no state with SPI 0x%x", spi);
	return 0;
}

START_TEST(events_state_deleted)
{
	install_all();
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0); /* nothing yet */
	ck_assert(fake_delete_state(f, state_with_spi(f, 0x187a101b)));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_int_eq(md.lost[SEED4], 1);
	ck_assert_str_eq(md.why[SEED4].text,
			 "state esp.187a101b@192.168.2.110 deleted behind our back");
	ck_assert_uint_eq(fake_nstates(f), 9);
	ck_assert_uint_eq(fake_npolicies(f), 11);
	/* a group not installed (any more) is not looked at */
	ck_assert(fake_delete_state(f, state_with_spi(f, 0x187a101d)));
	md.installed[SEED4R] = false;
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
}
END_TEST

static size_t policy_of(const struct fake *k, uint8_t dir, unsigned family)
{
	size_t i;

	for (i = 0; i < fake_npolicies(k); i++)
		if (fake_policy(k, i)->dir == dir && fake_policy(k, i)->sel.family == family &&
		    fake_policy(k, i)->ntmpl)
			return i;
	ck_abort_msg("no such policy");
	return 0;
}

/* UPDPOLICY: someone replaced our policy.  In our band with our reqids it
 * still counts as ours and goes with the group; out of the band it is
 * someone else's and stays.  Replaced by an equal one: nothing happens. */
START_TEST(events_policy_replaced)
{
	size_t p;

	install_all();
	p = policy_of(f, XFRM_POLICY_OUT, AF_INET);
	ck_assert(fake_update_policy(f, p, fake_policy(f, p)->priority));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert(fake_update_policy(f, p, 500));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_str_eq(md.why[SEED4].text,
			 "policy out 10.0.1.0/24 -> 10.0.2.0/24 replaced behind our back");
	ck_assert_uint_eq(fake_npolicies(f), 12); /* the foreign one stays */
	ck_assert_uint_eq(fake_nstates(f), 9);
	p = policy_of(f, XFRM_POLICY_OUT, AF_INET6);
	ck_assert(fake_update_policy(f, p, XFRM_OWN_PRIO_BASE + 5));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_int_eq(md.lost[SEED6], 1);
	ck_assert_uint_eq(fake_npolicies(f), 11); /* in our band, our reqids: ours */
}
END_TEST

START_TEST(events_expire)
{
	install_all();
	ck_assert(fake_expire_state(f, state_with_spi(f, 0x187a101c), false));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert(fake_expire_state(f, state_with_spi(f, 0x187a101c), true));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_str_eq(md.why[SEED4R].text, "state ah.187a101c@192.168.2.100 hard-expired");
}
END_TEST

/* A flush, lost events, a malformed event: compare with a fresh dump. */
START_TEST(events_resync)
{
	uint8_t junk[24];

	install_all();
	fake_overrun(f); /* nothing changed: nobody lost */
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	fake_set_events(f, false);
	ck_assert(fake_delete_state(f, state_with_spi(f, 0x187a101a))); /* unseen */
	fake_overrun(f);
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_str_eq(md.why[SEED4].text,
			 "state ah.187a101a@192.168.2.110 gone (flushed or deleted)");
	/* a message that does not parse: the same */
	ck_assert(fake_delete_policy(f, policy_of(f, XFRM_POLICY_OUT, AF_INET6)));
	memset(junk, 0, sizeof(junk));
	((struct nlmsghdr *)junk)->nlmsg_len = sizeof(junk);
	((struct nlmsghdr *)junk)->nlmsg_type = XFRM_MSG_DELSA;
	fake_event(f, junk, sizeof(junk));
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_int_eq(md.lost[SEED6], 1);
	/* a flush takes everything */
	fake_flush(f);
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 4);
	ck_assert_int_eq(nlost(), NGROUPS);
	/* a resync that cannot dump fails */
	md.installed[SEED4] = true;
	fake_overrun(f);
	fake_fail(f, XFRM_MSG_GETSA, 0, -ENOMEM, NULL, 1);
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), -ENOMEM);
}
END_TEST

/* A replaced state now belonging to someone else (a foreign reqid) is not
 * deleted with the rest of the group. */
START_TEST(events_state_replaced)
{
	struct xm_msg m;
	struct nlmsghdr *h;

	install_all();
	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_UPDSA;
	m.sa = *fake_state(f, state_with_spi(f, 0x187a101b));
	m.sa.reqid = 7;
	ck_assert_int_eq(xm_build(&m, &h), 0);
	fake_event(f, h, h->nlmsg_len);
	xm_free(h);
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 1);
	ck_assert_str_eq(md.why[SEED4].text,
			 "state esp.187a101b@192.168.2.110 replaced behind our back");
	ck_assert_uint_eq(fake_nstates(f), 10); /* the ESP state was skipped */
}
END_TEST

/* ---- counters, probe, sockets -------------------------------------------- */

START_TEST(counters)
{
	struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];

	install_all();
	ck_assert(fake_set_counters(f, 0x187a101b, 1000, 10, 2));
	ck_assert(fake_set_counters(f, 0x3d0, 800, 8, 0));
	ck_assert_int_eq(xfrm_read_counters(x, G(&md, SEED4), ctr), 0);
	ck_assert(ctr[2].bytes == 1000 && ctr[2].packets == 10);
	ck_assert_uint_eq(ctr[2].integrity_errs, 2);
	ck_assert(ctr[1].bytes == 800);
	ck_assert(ctr[0].bytes == 800); /* tun.3d0: comp's tunnel mode */
	ck_assert(ctr[3].bytes == 0);
	/* an SA the kernel does not hold: zeroes, and the error */
	fake_set_events(f, false);
	ck_assert(fake_delete_state(f, state_with_spi(f, 0x187a101b)));
	ck_assert_int_eq(xfrm_read_counters(x, G(&md, SEED4), ctr), -ESRCH);
	ck_assert(ctr[2].bytes == 0 && ctr[1].bytes == 800);
}
END_TEST

/* A state added again starts above a given sequence number (seqstore.h):
 * the NEWSA carries it, GETSA reads what the kernel sent since. */
START_TEST(install_seq_first)
{
	const struct sadb_group *g = G(&md, SEED4); /* tun comp esp ah, outbound */
	uint64_t first[CFG_MAX_GROUP_SAS + 1] = { 0, 0, 0x100000001ull, 77 };
	struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];
	struct reason why = { "" };
	const struct xm_state *st;

	ck_assert_uint_eq(g->sa[2]->cfg->said.proto, SAID_PROTO_ESP);
	ck_assert_uint_eq(g->sa[3]->cfg->said.proto, SAID_PROTO_AH);
	ck_assert_int_eq(xfrm_install_group_seq(x, g, first, &why), 0);
	st = fake_state(f, state_with_spi(f, 0x187a101b));
	ck_assert(st->has_replay_esn);
	ck_assert_uint_eq(st->replay_esn.oseq_hi, 1);
	ck_assert_uint_eq(st->replay_esn.oseq, 0);
	st = fake_state(f, state_with_spi(f, 0x187a101a));
	ck_assert_uint_eq(xm_state_oseq(st), 76);
	ck_assert_uint_eq(xm_state_oseq(fake_state(f, state_with_spi(f, 0x3d0))), 0);
	/* what the kernel sent since, as GETSA reports it */
	ck_assert(fake_set_oseq(f, 0x187a101b, 0x100000400ull));
	ck_assert_int_eq(xfrm_read_counters(x, g, ctr), 0);
	ck_assert_uint_eq(ctr[2].oseq, 0x100000400ull);
	ck_assert_uint_eq(ctr[3].oseq, 76);
	/* removal reads the exact last numbers between policies and states */
	{
		uint64_t last[CFG_MAX_GROUP_SAS + 1];
		unsigned long gets = fake_requests(f, XFRM_MSG_GETSA);

		ck_assert(fake_set_oseq(f, 0x187a101a, 80));
		ck_assert_int_eq(xfrm_remove_group_final(x, g, last, &why), 0);
		ck_assert_uint_eq(last[2], 0x100000400ull);
		ck_assert_uint_eq(last[3], 80);
		ck_assert_uint_eq(fake_requests(f, XFRM_MSG_GETSA), gets + 3); /* not the tun */
		ck_assert_uint_eq(fake_nstates(f), 0);
		ck_assert_uint_eq(fake_npolicies(f), 0);
		/* nothing there any more: unknown */
		ck_assert_int_eq(xfrm_remove_group_final(x, g, last, &why), 0);
		ck_assert_uint_eq(last[2], XFRM_OSEQ_UNKNOWN);
	}

	/* the last number of the 64-bit space */
	first[3] = 0;
	first[2] = UINT64_MAX;
	ck_assert_int_eq(xfrm_install_group_seq(x, g, first, &why), 0);
	ck_assert_uint_eq(xm_state_oseq(fake_state(f, state_with_spi(f, 0x187a101b))),
			  UINT64_MAX - 1);
	ck_assert_int_eq(xfrm_remove_group(x, g, NULL), 0);
	/* NULL: every state from 1 */
	ck_assert_int_eq(xfrm_install_group_seq(x, g, NULL, &why), 0);
	ck_assert_uint_eq(xm_state_oseq(fake_state(f, state_with_spi(f, 0x187a101b))), 0);
}
END_TEST

START_TEST(probe)
{
	struct fake *ns = fake_new();
	struct xfrm *y;
	struct reason why;

	xfrm_close(x); /* one whose probe runs on @ns */
	x = open_on(f, ns);
	ck_assert_int_eq(xfrm_probe_group(x, G(&md, SEED4), &why), 0);
	ck_assert_uint_eq(fake_requests(ns, XFRM_MSG_NEWSA), 3);
	ck_assert_uint_eq(fake_requests(f, 0), 0); /* never the real tables */
	/* the same shapes are answered from the cache */
	ck_assert_int_eq(xfrm_probe_group(x, G(&md, SEED4R), &why), 0);
	ck_assert_uint_eq(fake_requests(ns, XFRM_MSG_NEWSA), 3);
	/* IPv6 shapes are new; the kernel lacks AH */
	fake_fail(ns, XFRM_MSG_NEWSA, IPPROTO_AH, -EPROTONOSUPPORT, "Requested type not found", -1);
	ck_assert_int_eq(xfrm_probe_group(x, G(&md, SEED6), &why), -EPROTONOSUPPORT);
	ck_assert_str_eq(why.text, "Protocol not supported: Requested type not found");
	ck_assert_int_eq(xfrm_probe_group(x, G(&md, SEED6R), &why), -EPROTONOSUPPORT);
	ck_assert_uint_eq(fake_requests(ns, XFRM_MSG_NEWSA), 6);
	/* a group XFRM cannot express, or one without states */
	ck_assert_int_eq(xfrm_probe_group(x, G(&md, PASS4), &why), 0);
	/* the probe cannot run: not cached */
	y = open_on(f, NULL);
	ck_assert_int_eq(xfrm_probe_group(y, G(&md, SEED4), &why), -EPERM);
	ck_assert_str_eq(why.text, "cannot create a probe network namespace: not here");
	ck_assert_int_eq(xfrm_probe_group(y, G(&md, SEED4), &why), -EPERM);
	xfrm_close(y);
	fake_free(ns);
}
END_TEST

/* A request whose answer never comes, and a group XFRM cannot express. */
START_TEST(no_answer)
{
	struct reason why;
	struct sadb_group *g;

	fake_mute_next(f);
	ck_assert_int_eq(xfrm_install_group(x, G(&md, SEED4), &why), -EIO);
	ck_assert_ptr_nonnull(strstr(why.text, "netlink receive"));
	ck_assert_uint_eq(fake_nstates(f), 0);
	g = md.db->group[SEED4];
	g->reqid = 0;
	ck_assert_int_eq(xfrm_install_group(x, g, &why), -EINVAL);
	ck_assert_str_eq(why.text, "group has no reqid");
	ck_assert_int_eq(xfrm_remove_group(x, g, &why), 0); /* never installed */
	ck_assert_int_eq(xfrm_probe_group(x, g, &why), -EINVAL);
	xfrm_close(NULL);
}
END_TEST

/* ---- the mirror ------------------------------------------------------- */

/* Foreign SAs in the view: the number of view SAs with @reqid. */
static size_t view_reqid(const struct kview *v, uint32_t reqid)
{
	size_t i, n = 0;

	for (i = 0; i < v->nsa; i++)
		n += v->sa[i].reqid == reqid;
	return n;
}

/* The start-up dump fills the mirror with the foreign objects (ours are
 * not kept: the model has them); a libreswan policy in our priority band
 * is foreign: adoption leaves it, the view shows it and its group; our
 * own installs and removes change nothing there. */
START_TEST(mirror_adopt_and_view)
{
	const struct kmirror *m = xfrm_mirror(x);
	struct kview v = { 0 };
	struct reason why;
	size_t i;

	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	fake_hold_fixture_dir(f, "kderive", "transport-sa.bin");
	fake_hold_fixture_dir(f, "kderive", "transport-policy.bin");
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 4);
	/* the stale state with our reqid (0x53400011) went; the rest stays */
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELSA), 1);
	ck_assert_uint_eq(fake_requests(f, XFRM_MSG_DELPOLICY), 0);
	/* transport's 5 states less ours; its 4 policies and our 6
	 * template-less ones, not in this run's shunt record: not ours */
	ck_assert_uint_eq(kmirror_nstates(m), 4);
	ck_assert_uint_eq(kmirror_npolicies(m), 6 + 4);
	ck_assert_int_eq(xfrm_foreign_view(x, &v), 0);
	ck_assert_uint_eq(view_reqid(&v, 6), 2);      /* the libreswan pair */
	ck_assert_uint_eq(view_reqid(&v, 0), 2);      /* tun + esp, no policy */
	for (i = 0; i < v.nsa; i++)
		ck_assert(!xfrm_own_reqid(v.sa[i].reqid));
	ck_assert_uint_eq(v.ngrp, 3);
	kview_clear(&v);
	/* remove a group of ours, install it again: nothing changes there */
	ck_assert_int_eq(xfrm_remove_group(x, G(&md, SEED4), &why), 0);
	md.installed[SEED4] = false;
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0); /* our own echoes */
	ck_assert_int_eq(xfrm_install_group(x, G(&md, SEED4), &why), 0);
	ck_assert_uint_eq(kmirror_nstates(m), 4);
	ck_assert_uint_eq(kmirror_npolicies(m), 6 + 4);
	ck_assert_int_eq(md.lost[SEED4], 0);
}
END_TEST

/* Foreign events reach the mirror and lose no group of ours; a lost event
 * (overrun) reloads the mirror from a dump. */
START_TEST(mirror_events_overrun)
{
	const struct kmirror *m = xfrm_mirror(x);
	uint64_t gen;
	size_t i;

	fake_hold_fixture(f, "ours-sa-dump.bin");
	fake_hold_fixture(f, "ours-policy-dump.bin");
	ck_assert_int_eq(xfrm_adopt(x, md.db, &md.o), 4);
	gen = kmirror_gen(m);
	fake_event_fixture_dir(f, "kderive", "events-start-sa.bin");
	fake_event_fixture_dir(f, "kderive", "events-start-policy.bin");
	fake_event_fixture_dir(f, "kderive", "events.bin");
	fake_event_fixture_dir(f, "kderive", "acquire.bin");
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert_uint_gt(kmirror_gen(m), gen);
	ck_assert_uint_eq(kmirror_nstates(m), 1);
	ck_assert_uint_eq(kmirror_npolicies(m), 6 + 2);
	/* those were events only: the fake kernel never held them, so a
	 * lost event brings the mirror back to the kernel's tables */
	for (i = 0; i < NGROUPS; i++)
		ck_assert_int_eq(md.lost[i], 0);
	fake_overrun(f);
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert_uint_eq(kmirror_nstates(m), 0);
	ck_assert_uint_eq(kmirror_npolicies(m), 6);
	/* a flush: the same */
	fake_event_fixture_dir(f, "kderive", "events.bin");
	fake_event_fixture(f, "flush.bin");
	ck_assert_int_eq(xfrm_process_events(x, md.db, &md.o), 0);
	ck_assert_uint_eq(kmirror_nstates(m), 0);
}
END_TEST

/* Send @len bytes at @msg through the filtered pair: did they pass? */
static bool passes(int fd[2], const uint8_t *msg, size_t len)
{
	uint8_t got[4096];

	ck_assert_int_eq(send(fd[0], msg, len, 0), (ssize_t)len);
	return recv(fd[1], got, sizeof(got), MSG_DONTWAIT) == (ssize_t)len;
}

/* The event socket's filter, on a datagram socket pair: our requests'
 * echoes and our states' or traffic's NEWAE are dropped, the rest pass. */
START_TEST(event_filter)
{
	struct fx_msg msgs[4];
	uint8_t *sa, *ae, m[4096];
	size_t len, salen, aelen;
	uint32_t port = 0x7f0000aa, v;
	int fd[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, fd), 0);
	ck_assert_int_eq(xfrm_event_filter(fd[1], port), 0);
	sa = fx_load_dir("kderive", "events.bin", &len);
	ck_assert_uint_ge(fx_split(sa, len, msgs, 4), 1);
	salen = msgs[0].len;
	memcpy(m, msgs[0].p, salen); /* a NEWSA */
	ck_assert(passes(fd, m, salen));
	memcpy(m + 12, &port, 4);    /* ... caused by our request */
	ck_assert(!passes(fd, m, salen));
	v = port + 1;
	memcpy(m + 12, &v, 4);
	ck_assert(passes(fd, m, salen));
	ae = fx_load_dir("kderive", "newae.bin", &aelen);
	memcpy(m, ae, aelen);        /* a NEWAE of reqid 6, flags 0 */
	ck_assert(passes(fd, m, aelen));
	v = XFRM_AE_CE;
	memcpy(m + NLMSG_HDRLEN + 40, &v, 4);
	ck_assert(passes(fd, m, aelen));
	v = XFRM_AE_CR;              /* caused by traffic */
	memcpy(m + NLMSG_HDRLEN + 40, &v, 4);
	ck_assert(!passes(fd, m, aelen));
	v = XFRM_AE_CE;
	memcpy(m + NLMSG_HDRLEN + 40, &v, 4);
	v = 0x53412345;              /* one of our states */
	memcpy(m + NLMSG_HDRLEN + 44, &v, 4);
	ck_assert(!passes(fd, m, aelen));
	v = 0x53512345;              /* just past our band */
	memcpy(m + NLMSG_HDRLEN + 44, &v, 4);
	ck_assert(passes(fd, m, aelen));
	v = 0x533fffff;              /* just below it */
	memcpy(m + NLMSG_HDRLEN + 44, &v, 4);
	ck_assert(passes(fd, m, aelen));
	free(sa);
	free(ae);
	close(fd[0]);
	close(fd[1]);
}
END_TEST

static Suite *kern_suite(void)
{
	Suite *s = suite_create("xfrm_kern");
	TCase *tc = tcase_create("install");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, install_then_remove);
	tcase_add_test(tc, install_all_or_nothing);
	tcase_add_test(tc, install_foreign_key);
	suite_add_tcase(s, tc);
	tc = tcase_create("adopt");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, adopt_recorded_dump);
	tcase_add_test(tc, adopt_with_shunt_record);
	tcase_add_test(tc, adopt_changed_group);
	tcase_add_test(tc, adopt_partial_group);
	tcase_add_test(tc, adopt_dump_retries);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, events_recorded_stop);
	tcase_add_test(tc, events_state_deleted);
	tcase_add_test(tc, events_policy_replaced);
	tcase_add_test(tc, events_expire);
	tcase_add_test(tc, events_resync);
	tcase_add_test(tc, events_state_replaced);
	suite_add_tcase(s, tc);
	tc = tcase_create("mirror");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mirror_adopt_and_view);
	tcase_add_test(tc, mirror_events_overrun);
	tcase_add_test(tc, event_filter);
	suite_add_tcase(s, tc);
	tc = tcase_create("misc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counters);
	tcase_add_test(tc, probe);
	tcase_add_test(tc, install_seq_first);
	tcase_add_test(tc, no_answer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kern_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
