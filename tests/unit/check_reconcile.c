/* check_reconcile.c: the reconciler (desired vs installed) against a fake
 * kernel backend and a fake userspace datapath (ops tables recording every
 * call; the fake datapath holds snapshot and live-object references as the
 * engine does), and the status answers it feeds.
 *
 * Configs are written to a temporary directory and read with cfg_load(),
 * as the daemon does; the reqids file goes there too.  No kernel, no view,
 * no control socket (struct daemon's view and ctl stay NULL).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "daemon.h"
#include "klipsrt.h"
#include "dp.h"
#include "dpsnap.h"
#include "log.h"
#include "kview.h"
#include "reconcile.h"
#include "salive.h"
#include "seqstore.h"
#include "snap.h"
#include "status.h"
#include "strbuf.h"

/* ---- the fake kernel ---- */

#define MAX_NAMES 64

struct fake {
	struct ip_addr local[4];
	unsigned nlocal;
	int probe_err;                 /* what probe() answers ... */
	char probe_no[MAX_NAMES][32];  /* ... for these groups (all when none) */
	unsigned nprobe_no;
	int install_err;               /* what install() answers ... */
	char refuse[MAX_NAMES][32];    /* ... for these groups (all when none) */
	unsigned nrefuse;
	unsigned refuse_nsa;           /* ... and for groups of this many SAs or more */
	unsigned installs, removes, probes, routes_added, routes_removed, cleanups;
	char log[8192];                /* "+name -name " per install / remove */
	char adopt[MAX_NAMES][32];     /* adopt() reports these as matched */
	unsigned nadopt;
	char lose[32];                 /* events() reports this group lost */
	int events_err;
	uint64_t bytes;                /* read_counters() answers this per SA */
	uint64_t oseq;                 /* ... and this output sequence number */
	bool last_known;               /* remove() reads this exact last number */
	uint64_t last_oseq;
	char fname[MAX_NAMES + 1][32]; /* per group installed: the seq_first ... */
	uint64_t ffirst[MAX_NAMES + 1]; /* ... of its first SA, last install */
	bool fin[MAX_NAMES + 1];       /* ... and whether it is in the kernel
					  (past MAX_NAMES groups: one shared slot) */
	unsigned nf;
	bool addr_event;
	unsigned dev_routes;           /* route_add_dev() calls ... */
	int dev_ifindex;               /* ... the last one's device ... */
	uint32_t dev_mtu;              /* ... and MTU */
	int filter_sets, filter_removes;
	size_t filter_n;               /* groups of the last filter_set() */
	char filter_names[256];        /* their names, "a b " */
};

static void fake_log(struct fake *f, char op, const char *name)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%c%s ", op, name);
}

static bool listed(char (*names)[32], unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static int f_probe(void *k, const struct sadb_group *g, struct reason *why)
{
	struct fake *f = k;

	f->probes++;
	if (!f->probe_err || (f->nprobe_no && !listed(f->probe_no, f->nprobe_no, g->name)))
		return 0;
	reason_set(why, "probe says no");
	return f->probe_err;
}

/* The fake's slot of group @name (made when new). */
static unsigned fslot(struct fake *f, const char *name)
{
	unsigned i;

	for (i = 0; i < f->nf; i++)
		if (!strcmp(f->fname[i], name))
			return i;
	if (f->nf == MAX_NAMES)
		return MAX_NAMES;
	snprintf(f->fname[f->nf], sizeof(f->fname[0]), "%s", name);
	return f->nf++;
}

static int f_install(void *k, const struct sadb_group *g, const uint64_t *seq_first,
		     struct reason *why)
{
	struct fake *f = k;

	f->installs++;
	if (!f->install_err) {
		unsigned i = fslot(f, g->name);

		f->ffirst[i] = seq_first ? seq_first[0] : 0;
		f->fin[i] = true;
	}
	if (f->refuse_nsa && g->nsa >= f->refuse_nsa) {
		reason_set(why, "fake refusal of %u SAs", g->nsa);
		return -EINVAL;
	}
	if (f->install_err && (!f->nrefuse || listed(f->refuse, f->nrefuse, g->name))) {
		reason_set(why, "fake refusal of %s", g->name);
		return f->install_err;
	}
	fake_log(f, '+', g->name);
	return 0;
}

static int f_remove(void *k, const struct sadb_group *g, uint64_t *last, struct reason *why)
{
	(void)why;
	struct fake *f = k;

	for (unsigned i = 0; last && i < g->nsa; i++)
		last[i] = f->last_known ? f->last_oseq : UINT64_MAX;
	f->fin[fslot(f, g->name)] = false;
	f->removes++;
	fake_log(f, '-', g->name);
	return 0;
}

static int f_adopt(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	struct fake *f = k;
	int n = 0;

	for (size_t i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];

		if (listed(f->adopt, f->nadopt, g->name) && o->wants_kernel(o->arg, g) &&
		    !o->installed(o->arg, g)) {
			o->adopted(o->arg, g);
			n++;
		}
	}
	return n;
}

static int f_events(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	struct fake *f = k;
	const struct sadb_group *g = f->lose[0] ? sadb_find_group(db, f->lose) : NULL;
	struct reason why;

	if (f->events_err)
		return f->events_err;
	if (!g || !o->installed(o->arg, g))
		return 0;
	reason_set(&why, "state of %s deleted behind our back", g->name);
	o->lost(o->arg, g, &why);
	f->lose[0] = '\0';
	return 1;
}

static int f_counters(void *k, const struct sadb_group *g, struct sa_counters *ctr)
{
	struct fake *f = k;

	for (unsigned i = 0; i < g->nsa; i++) {
		ctr[i].bytes = f->bytes + i;
		ctr[i].packets = 2 * i + 1;
		ctr[i].oseq = f->fin[fslot(f, g->name)] ? f->oseq : 0; /* GETSA: ESRCH */
	}
	return 0;
}

static struct daemon d;

/* As route_wanted(): routes on (the real handle exists only then),
 * outbound, not an SA of its own. */
static bool f_route_wanted(void *k, const struct sadb_group *g)
{
	(void)k;
	return d.cfg->install_routes && g->dir == SADB_DIR_OUT && !g->implicit && !g->shunt;
}

static int f_route_add_dev(void *k, const struct sadb_group *g, int ifindex, uint32_t mtu,
			   struct reason *why)
{
	struct fake *f = k;

	(void)g;
	(void)why;
	f->dev_routes++;
	f->dev_ifindex = ifindex;
	f->dev_mtu = mtu;
	return 0;
}

/* Path MTU 1400 (routes on), else none. */
static int f_path_mtu(void *k, const struct sadb_group *g, uint32_t *mtu, struct reason *why)
{
	(void)k;
	(void)g;
	(void)why;
	if (!d.cfg->install_routes)
		return -ENOENT;
	*mtu = 1400;
	return 0;
}

static int f_filter_set(void *k, const struct sadb_group *const *g, size_t n,
			struct reason *why)
{
	struct fake *f = k;

	(void)why;
	f->filter_sets++;
	f->filter_n = n;
	f->filter_names[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(f->filter_names);

		snprintf(f->filter_names + len, sizeof(f->filter_names) - len, "%s ", g[i]->name);
	}
	return 0;
}

static void f_filter_remove(void *k)
{
	((struct fake *)k)->filter_removes++;
}

static int f_route_add(void *k, const struct sadb_group *g, struct reason *why)
{
	(void)g;
	(void)why;
	((struct fake *)k)->routes_added++;
	return 0;
}

static int f_route_del(void *k, const struct sadb_group *g)
{
	(void)g;
	((struct fake *)k)->routes_removed++;
	return 0;
}

static void f_route_cleanup(void *k)
{
	if (d.cfg->install_routes) /* the real one has nothing to do otherwise */
		((struct fake *)k)->cleanups++;
}

static bool f_is_local(const struct ip_addr *a, void *k)
{
	struct fake *f = k;

	for (unsigned i = 0; i < f->nlocal; i++)
		if (ip_addr_equal(&f->local[i], a))
			return true;
	return false;
}

static int f_fd(void *k)
{
	(void)k;
	return -1;
}

static bool f_addr_changed(void *k)
{
	return ((struct fake *)k)->addr_event;
}

static const struct kern_ops fake_ops = {
	.reqid_base = 0x53400000u,
	.reqid_count = 0x100000u,
	.probe = f_probe,
	.install = f_install,
	.remove = f_remove,
	.adopt = f_adopt,
	.events = f_events,
	.read_counters = f_counters,
	.route_wanted = f_route_wanted,
	.route_add = f_route_add,
	.route_add_dev = f_route_add_dev,
	.path_mtu = f_path_mtu,
	.route_del = f_route_del,
	.route_cleanup = f_route_cleanup,
	.is_local = f_is_local,
	.event_fd = f_fd,
	.addr_fd = f_fd,
	.addr_changed = f_addr_changed,
	.filter_set = f_filter_set,
	.filter_remove = f_filter_remove,
};

/* The kernel mirror as the reconciler sees it: one foreign group, and its
 * generations. */
static uint64_t fm_objects, fm_counters;

static int f_foreign_view(void *k, struct kview *v)
{
	struct kv_sa sa = { .said = { .proto = SAID_PROTO_ESP, .spi = 0xc0000001 } };
	struct kv_group g = { .order = 1ull << 48 };
	long i;

	(void)k;
	ck_assert_int_eq(ip_addr_parse("198.51.100.9", &sa.said.dst, NULL, 0), 0);
	i = kview_add_sa(v, &sa);
	if (i < 0)
		return -ENOMEM;
	g.sa[g.nsa++] = (uint32_t)i;
	return kview_add_group(v, &g) < 0 ? -ENOMEM : 0;
}

static void f_view_gen(void *k, uint64_t *objects, uint64_t *counters)
{
	(void)k;
	*objects = fm_objects;
	*counters = fm_counters;
}

/* ---- the fake datapath: a table of groups holding references ---- */

#define FDP_MAX 4096

struct fdp_grp {
	char name[64];
	struct snap *snap;
	struct sa_live *live[CFG_MAX_GROUP_SAS + 1];
	unsigned nsa;
	uint32_t mtu;
};

struct fakedp {
	struct fdp_grp grp[FDP_MAX];   /* what is staged (the fake publishes
					  what is staged at commit) */
	size_t n;
	unsigned stages, unstages, commits, published; /* published: groups at
							 the last commit */
	int stage_err, commit_err;
	char log[8192];                /* "s:name u:name c " */
	uint64_t not_ours;
};

static struct fakedp fdp;

static void fdp_log(const char *op, const char *name)
{
	size_t n = strlen(fdp.log);

	snprintf(fdp.log + n, sizeof(fdp.log) - n, "%s%s ", op, name);
}

static void fdp_drop(struct fdp_grp *e)
{
	snap_put(e->snap);
	for (unsigned k = 0; k < e->nsa; k++)
		sa_live_put(e->live[k]);
	*e = fdp.grp[--fdp.n];
}

static struct fdp_grp *fdp_find(const char *name)
{
	for (size_t i = 0; i < fdp.n; i++)
		if (!strcmp(fdp.grp[i].name, name))
			return &fdp.grp[i];
	return NULL;
}

static int fd_stage(void *dp, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		    struct reason *why)
{
	const struct dpsnap_group *g = dpsnap_group(snap);
	struct fdp_grp *e;

	ck_assert_ptr_eq(dp, &fdp);
	fdp.stages++;
	if (fdp.stage_err) {
		reason_set(why, "fake engine refuses %s", g->name);
		return fdp.stage_err;
	}
	fdp_log("s:", g->name);
	e = fdp_find(g->name);
	if (e)
		fdp_drop(e);
	ck_assert_uint_lt(fdp.n, FDP_MAX);
	e = &fdp.grp[fdp.n++];
	snprintf(e->name, sizeof(e->name), "%s", g->name);
	e->snap = snap_get(snap);
	e->nsa = g->nsa;
	e->mtu = mtu;
	for (unsigned k = 0; k < g->nsa; k++) {
		ck_assert_ptr_nonnull(live[k]);
		e->live[k] = sa_live_get(live[k]);
	}
	return 0;
}

static void fd_unstage(void *dp, const char *name)
{
	struct fdp_grp *e = fdp_find(name);

	ck_assert_ptr_eq(dp, &fdp);
	fdp.unstages++;
	fdp_log("u:", name);
	if (e)
		fdp_drop(e);
}

static int fd_commit(void *dp, struct reason *why)
{
	ck_assert_ptr_eq(dp, &fdp);
	fdp.commits++;
	fdp_log("c", "");
	if (fdp.commit_err) {
		reason_set(why, "fake commit failure");
		return fdp.commit_err;
	}
	fdp.published = (unsigned)fdp.n;
	return 0;
}

static int fd_ifindex(void *dp)
{
	(void)dp;
	return 77;
}

/* Enough to tell it was asked with the path MTU: 100 bytes of overhead. */
static uint32_t fd_inner_mtu(const struct snap *snap, uint32_t path_mtu)
{
	ck_assert_ptr_nonnull(dpsnap_group(snap));
	return path_mtu - 100;
}

static void fd_stats(void *dp, struct dp_stats *st)
{
	(void)dp;
	memset(st, 0, sizeof(*st));
	st->sock[0].name = "esp4";
	st->sock[0].packets = 5;
	st->sock[0].not_ours = fdp.not_ours;
	st->rx_packets = 5;
	st->rx_not_ours = fdp.not_ours;
	st->tun_packets = 9;
	st->tx_packets = 8;
	st->tun_no_group = 1;
	st->tun_tx_dropped = 6;
}

static int fd_seq_fd(void *dp)
{
	(void)dp;
	return -1;
}

static int fd_seq_tick(void *dp, struct reason *why)
{
	(void)dp;
	(void)why;
	return 0;
}

static const struct dp_ops fake_dp_ops = {
	.stage = fd_stage,
	.unstage = fd_unstage,
	.commit = fd_commit,
	.ifindex = fd_ifindex,
	.inner_mtu = fd_inner_mtu,
	.stats = fd_stats,
	.seq_fd = fd_seq_fd,
	.seq_tick = fd_seq_tick,
};

/* ---- fixtures ---- */

static char dir[64], conf[128];
static struct fake fk;

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_reconcile.XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/spigrpd.conf", dir);
	memset(&fk, 0, sizeof(fk));
	ck_assert_int_eq(ip_addr_parse("192.0.2.1", &fk.local[0], NULL, 0), 0);
	fk.nlocal = 1;
	memset(&d, 0, sizeof(d));
	d.cfg_path = conf;
	d.ops = &fake_ops;
	d.kern = &fk;
	while (fdp.n) /* a test that failed half-way */
		fdp_drop(&fdp.grp[0]);
	memset(&fdp, 0, sizeof(fdp));
	d.dpops = &fake_dp_ops;
	d.dp = &fdp;
	d.sig_fd = d.lock_fd = d.state_lock_fd = -1;
	log_init("check_reconcile", true, LOG_WARNING);
}

static void teardown(void)
{
	char cmd[128];

	while (fdp.n) /* the engine closes before the runtime goes */
		fdp_drop(&fdp.grp[0]);
	rt_free(d.rt);
	sadb_free(d.db);
	cfg_free(d.cfg);
	cfg_free(d.file);
	klipsrt_free(&d);
	seqstore_close(d.seq);
	snap_put(d.view_snap);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Write the config: our [daemon] section, then @fmt's sections. */
static void write_conf(const char *daemon_extra, const char *fmt, ...)
{
	FILE *f = fopen(conf, "w");
	va_list ap;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[daemon]\nstate-dir = %s/state\nmount = %s/net\ncontrol = %s/ctl\n%s\n", dir,
		dir, dir, daemon_extra ? daemon_extra : "datapath = kernel\ninstall-routes = no\n");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(conf, 0600), 0);
}

/* Start as main.c does: load, reconcile_start, install, publish. */
static void start(void)
{
	struct cfg_errors errs = { 0 };

	d.cfg = cfg_load(conf, true, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(d.cfg);
	ck_assert_int_eq(reconcile_start(&d, &errs), 0);
	reconcile_install_pending(&d);
	reconcile_publish(&d);
	cfg_errors_free(&errs);
}

static int reload(void)
{
	struct cfg_errors errs = { 0 };
	int r = reconcile_reload(&d, &errs);

	cfg_errors_free(&errs);
	return r;
}

static const struct sadb_group *grp(const char *name)
{
	const struct sadb_group *g = sadb_find_group(d.db, name);

	ck_assert_msg(g != NULL, "no group %s", name);
	return g;
}

static struct rt_group *rtg(const char *name)
{
	return reconcile_rt(&d, grp(name));
}

/* The placement's reason of group @name. */
static const char *placed_why(const char *name)
{
	static struct reason why;

	rt_place_why(rtg(name), grp(name), &why);
	return why.text;
}

static const char *view(void)
{
	ck_assert_ptr_nonnull(d.view_snap);
	return snap_data(d.view_snap);
}

/* An outbound comp group NAME (CPI, destination 192.0.2.DST) and its SA. */
#define COMP_GROUP(name, cpi, dst, ts)                                          \
	"[sa comp." cpi "@192.0.2." dst "]\nsrc = 192.0.2.1\ncomp = deflate\n"  \
	"[group " name "]\nsaid = comp." cpi "@192.0.2." dst "\n"               \
	"src-ts = 10.0.1.0/24\ndst-ts = 10.9." ts ".0/24\n"
/* An outbound ESP group with KEY (32 hex digits). */
#define ESP_GROUP(name, spi, key, ts)                                            \
	"[sa esp." spi "@192.0.2.9]\nsrc = 192.0.2.1\nenc = aes128\nenckey = 0x" key  \
	"\nauth = sha256\nauthkey = 0x00112233445566778899aabbccddeeff"             \
	"00112233445566778899aabbccddeeff\n"                                       \
	"[group " name "]\nsaid = esp." spi "@192.0.2.9\n"                          \
	"src-ts = 10.0.1.0/24\ndst-ts = 10.8." ts ".0/24\n"
/* Group e: comp.3d0 + esp.1000 (ESP key KEY) to 192.0.2.9. */
#define COMP_ESP_GROUP(key)                                                            \
	"[sa comp.3d0@192.0.2.9]\nsrc = 192.0.2.1\ncomp = deflate\n"                   \
	"[sa esp.1000@192.0.2.9]\nsrc = 192.0.2.1\nenc = aes128\nenckey = 0x" key      \
	"\nauth = sha256\nauthkey = 0x00112233445566778899aabbccddeeff"                 \
	"00112233445566778899aabbccddeeff\n"                                             \
	"[group e]\nsaid = comp.3d0@192.0.2.9 esp.1000@192.0.2.9\n"                     \
	"src-ts = 10.0.1.0/24\ndst-ts = 10.8.1.0/24\n"
#define KEY_A "0123456789abcdef0123456789abcdef"
#define KEY_B "5555555555555555aaaaaaaaaaaaaaaa"

static char *answer(void (*fn)(const struct daemon *, struct strbuf *));

/* ---- tests ---- */

START_TEST(test_start_installs)
{
	write_conf(NULL, COMP_GROUP("a", "300", "2", "1") COMP_GROUP("b", "301", "2", "2")
			 "[group pass]\nsaid = %%pass\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.7.0.0/16\n");
	start();
	ck_assert_uint_eq(fk.installs, 3);
	ck_assert_str_eq(fk.log, "+a +b +pass ");
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("a")->place, PLACE_KERNEL);
	ck_assert_str_eq(placed_why("a"), "datapath = kernel in [daemon]");
	ck_assert_uint_eq(fk.probes, 0); /* datapath = kernel: no probe */
	ck_assert_uint_ne(grp("a")->reqid, grp("b")->reqid);
	ck_assert_str_eq(view(), "comp.300@192.0.2.2 \ncomp.301@192.0.2.2 \n%pass \n");
}
END_TEST

START_TEST(test_refused_and_skipped)
{
	write_conf("datapath = auto\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1")
		   "[sa comp.301@198.51.100.2]\nsrc = 198.51.100.1\ncomp = deflate\n"
		   "[group far]\nsaid = comp.301@198.51.100.2\nsrc-ts = 10.0.1.0/24\n"
		   "dst-ts = 10.9.2.0/24\n"
		   "[sa tun.302@192.0.2.2]\nsrc = 192.0.2.1\n"
		   "[group tunonly]\nsaid = tun.302@192.0.2.2\nsrc-ts = 10.0.1.0/24\n"
		   "dst-ts = 10.9.3.0/24\n");
	fk.install_err = -EPROTONOSUPPORT;
	start();
	ck_assert_int_eq(rtg("a")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("a")->why.text,
			 "kernel refused it (EPROTONOSUPPORT): fake refusal of a");
	ck_assert_str_eq(placed_why("a"), "the kernel accepts every transform");
	ck_assert_int_eq(rtg("far")->state, RT_SKIPPED);
	ck_assert_str_eq(rtg("far")->why.text,
			 "neither 198.51.100.1 nor 198.51.100.2 is a local address");
	/* XFRM cannot express it: the userspace datapath has it */
	ck_assert_int_eq(rtg("tunonly")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("tunonly")->place, PLACE_USERSPACE);
	ck_assert_str_eq(placed_why("tunonly"), "the group has only tun SAs: XFRM cannot express it");
	/* the datapath's snapshot is there, with the group's SAs */
	ck_assert_ptr_nonnull(rtg("tunonly")->dp);
	ck_assert_str_eq(dpsnap_group(rtg("tunonly")->dp)->name, "tunonly");
	ck_assert_str_eq(fdp.log, "s:tunonly c ");
	/* a kernel refusal after the probe passed stays a refusal */
	ck_assert_uint_eq(fk.installs, 1);
	ck_assert_uint_eq(fk.probes, 1);
	ck_assert_str_eq(view(), "tun.302@192.0.2.2 \n");
}
END_TEST

START_TEST(test_probe_says_no)
{
	write_conf("datapath = auto\ninstall-routes = no\n", COMP_GROUP("a", "300", "2", "1"));
	fk.probe_err = -EPROTONOSUPPORT;
	start();
	ck_assert_uint_eq(fk.installs, 0);
	ck_assert_int_eq(rtg("a")->place, PLACE_USERSPACE);
	ck_assert_str_eq(placed_why("a"), "kernel probe: probe says no");
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
	ck_assert_str_eq(fdp.log, "s:a c ");
	ck_assert_str_eq(view(), "comp.300@192.0.2.2 \n");
}
END_TEST

/* Userspace groups: staged with their snapshot and live objects, one
 * commit for the pass, then routes into the TUN with the inner MTU and
 * the nftables table for the inbound ones. */
START_TEST(test_userspace_installs)
{
	write_conf("datapath = userspace\ninstall-routes = yes\n",
		   COMP_GROUP("a", "300", "2", "1") ESP_GROUP("e", "1000", KEY_A, "1")
		   "[sa comp.301@192.0.2.1]\nsrc = 192.0.2.5\ncomp = deflate\n"
		   "[group in]\nsaid = comp.301@192.0.2.1\nsrc-ts = 10.9.9.0/24\n"
		   "dst-ts = 10.0.1.0/24\n");
	start();
	ck_assert_uint_eq(fk.installs, 0);
	ck_assert_uint_eq(fk.probes, 0);
	ck_assert_str_eq(fdp.log, "s:a s:e s:in c ");
	ck_assert_uint_eq(fdp.published, 3);
	ck_assert_int_eq(rtg("e")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("e")->place, PLACE_USERSPACE);
	ck_assert_str_eq(placed_why("e"), "datapath = userspace in [daemon]");
	/* the engine holds a reference of its own on each live object */
	ck_assert_ptr_nonnull(rtg("e")->sa[0]->live);
	ck_assert_uint_eq(atomic_load(&rtg("e")->sa[0]->live->refs), 2);
	ck_assert_uint_eq(fdp_find("e")->mtu, 1300); /* path 1400, overhead 100 */
	/* outbound groups routed into the TUN; the inbound one filtered */
	ck_assert_uint_eq(fk.dev_routes, 2);
	ck_assert_uint_eq(fk.routes_added, 0);
	ck_assert_int_eq(fk.dev_ifindex, 77);
	ck_assert_uint_eq(fk.dev_mtu, 1300);
	ck_assert_int_eq(fk.filter_sets, 1);
	ck_assert_str_eq(fk.filter_names, "in ");
	ck_assert_str_eq(view(), "comp.300@192.0.2.2 \nesp.1000@192.0.2.9 \ncomp.301@192.0.2.1 \n");
	/* stop: routes and table go, the groups are taken out of the engine */
	fdp.log[0] = '\0';
	reconcile_stop(&d);
	ck_assert_str_eq(fdp.log, "u:in u:e u:a ");
	ck_assert_uint_eq(fk.routes_removed, 2);
	ck_assert_int_eq(fk.filter_removes, 1);
	ck_assert_uint_eq(atomic_load(&rtg("e")->sa[0]->live->refs), 1);
}
END_TEST

/* No engine (no TUN on this host...): the groups placed in userspace are
 * skipped with the reason; the kernel's run. */
START_TEST(test_no_engine)
{
	char *s;

	write_conf("datapath = kernel\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1")
		   "[sa tun.302@192.0.2.2]\nsrc = 192.0.2.1\n"
		   "[group tunonly]\nsaid = tun.302@192.0.2.2\nsrc-ts = 10.0.1.0/24\n"
		   "dst-ts = 10.9.3.0/24\n");
	d.dp = NULL;
	snprintf(d.dp_why, sizeof(d.dp_why), "TUN: No such device");
	start();
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("tunonly")->state, RT_SKIPPED);
	ck_assert_str_eq(rtg("tunonly")->why.text,
			 "placed in userspace (the group has only tun SAs: XFRM cannot express it); "
			 "the userspace datapath is not running: TUN: No such device");
	ck_assert_uint_eq(fdp.stages + fdp.commits, 0);
	s = answer(status_text);
	ck_assert_ptr_nonnull(strstr(s, "datapath: not running (TUN: No such device)\n"));
	free(s);
	s = answer(status_json);
	ck_assert_ptr_nonnull(
		strstr(s, "\"datapath\":{\"running\":false,\"reason\":\"TUN: No such device\"}}"));
	free(s);
}
END_TEST

/* The engine starts when the first group is placed in userspace, once:
 * a config whose groups all run in the kernel starts none; a failed
 * start is tried again after a reload. */
static unsigned dp_starts;
static int dp_start_ok(struct daemon *dd)
{
	dp_starts++;
	dd->dp = &fdp;
	return 0;
}

static int dp_start_fails(struct daemon *dd)
{
	dp_starts++;
	snprintf(dd->dp_why, sizeof(dd->dp_why), "TUN: busy");
	return -EBUSY;
}

START_TEST(test_engine_lazy)
{
	const char *tunonly = "[sa tun.302@192.0.2.2]\nsrc = 192.0.2.1\n"
			      "[group tunonly]\nsaid = tun.302@192.0.2.2\nsrc-ts = 10.0.1.0/24\n"
			      "dst-ts = 10.9.3.0/24\n";
	struct cfg_errors errs = { 0 };
	char *s;

	write_conf("datapath = kernel\ninstall-routes = no\n", COMP_GROUP("a", "300", "2", "1"));
	d.dp = NULL;
	d.dp_start = dp_start_fails;
	dp_starts = 0;
	start();
	ck_assert_uint_eq(dp_starts, 0);
	s = answer(status_text);
	ck_assert_ptr_nonnull(strstr(s, "datapath: not running (no group is placed in userspace)\n"));
	free(s);
	/* a userspace group: one try, which fails; the group is skipped */
	write_conf("datapath = kernel\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1") "%s", tunonly);
	ck_assert_int_eq(reconcile_reload(&d, &errs), 0);
	ck_assert_uint_eq(dp_starts, 1);
	ck_assert_int_eq(rtg("tunonly")->state, RT_SKIPPED);
	ck_assert_ptr_nonnull(strstr(rtg("tunonly")->why.text, "not running: TUN: busy"));
	/* the next reload tries again, and this time it starts */
	d.dp_start = dp_start_ok;
	d.dp_why[0] = '\0';
	write_conf("datapath = kernel\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1") "%s", tunonly);
	ck_assert_int_eq(reconcile_reload(&d, &errs), 0);
	reconcile_install_pending(&d);
	ck_assert_uint_eq(dp_starts, 2);
	ck_assert_ptr_eq(d.dp, &fdp);
	ck_assert_int_eq(rtg("tunonly")->state, RT_INSTALLED);
	cfg_errors_free(&errs);
}
END_TEST

/* Inbound selectors that overlap cannot be split between the kernel and
 * the datapath, nor can one dst-ts: the later group is refused, at run
 * time (the probe placed them apart), with the reason. */
START_TEST(test_split_refused)
{
	write_conf("datapath = auto\ninstall-routes = no\n",
		   "[sa comp.301@192.0.2.1]\nsrc = 192.0.2.5\ncomp = deflate\n"
		   "[group kin]\nsaid = comp.301@192.0.2.1\nsrc-ts = 10.9.0.0/16\n"
		   "dst-ts = 10.0.1.0/24\n"
		   "[sa comp.302@192.0.2.1]\nsrc = 192.0.2.5\ncomp = deflate\n"
		   "[group uin]\nsaid = comp.302@192.0.2.1\nsrc-ts = 10.9.9.0/24\n"
		   "dst-ts = 10.0.0.0/16\n"
		   "[sa comp.303@192.0.2.1]\nsrc = 192.0.2.5\ncomp = deflate\n"
		   "[group uin2]\nsaid = comp.303@192.0.2.1\nsrc-ts = 10.8.0.0/16\n"
		   "dst-ts = 10.0.0.0/16\n"
		   COMP_GROUP("kout", "300", "2", "1")
		   "[sa comp.304@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
		   "[group uout]\nsaid = comp.304@192.0.2.2\nsrc-ts = 10.0.2.0/24\n"
		   "dst-ts = 10.9.1.0/24\n");
	fk.probe_err = -EPROTONOSUPPORT;
	strcpy(fk.probe_no[fk.nprobe_no++], "uin");
	strcpy(fk.probe_no[fk.nprobe_no++], "uin2");
	strcpy(fk.probe_no[fk.nprobe_no++], "uout");
	start();
	ck_assert_int_eq(rtg("kin")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("kin")->place, PLACE_KERNEL);
	ck_assert_int_eq(rtg("uin")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("uin")->why.text,
			 "its inbound selectors overlap those of group kin in the kernel datapath "
			 "(10.9.9.0/24 -> 10.0.1.0/24): the kernel and the userspace datapath cannot "
			 "share them");
	ck_assert_int_eq(rtg("uin2")->state, RT_INSTALLED);
	ck_assert_int_eq(rtg("uin2")->place, PLACE_USERSPACE);
	ck_assert_int_eq(rtg("uout")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("uout")->why.text,
			 "dst-ts 10.9.1.0/24 is also that of group kout in the kernel datapath: one "
			 "route cannot lead to both");
	ck_assert_str_eq(fdp.log, "s:uin2 c ");
	ck_assert_str_eq(fk.filter_names, "uin2 ");
}
END_TEST

/* A reload keeps the live objects of unchanged groups (not even staged
 * again: no commit), hands an unchanged SA of a changed group its live
 * object, and takes removed groups out of the engine, in one commit. */
START_TEST(test_reload_keeps_live)
{
	struct sa_live *la, *lcomp, *lesp;

	write_conf("datapath = userspace\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1") COMP_GROUP("b", "301", "2", "2")
		   COMP_ESP_GROUP(KEY_A));
	start();
	ck_assert_uint_eq(fdp.commits, 1);
	la = rtg("a")->sa[0]->live;
	lcomp = rtg("e")->sa[0]->live;
	lesp = rtg("e")->sa[1]->live;
	atomic_store(&lesp->packets, 99);
	atomic_store(&la->seq_next, 1234);
	fdp.log[0] = '\0';
	ck_assert_int_eq(reload(), 0);
	ck_assert_str_eq(fdp.log, ""); /* nothing changed: no commit */
	ck_assert_ptr_eq(rtg("a")->sa[0]->live, la);
	/* b goes, e's ESP key changes, a stays */
	write_conf("datapath = userspace\ninstall-routes = no\n",
		   COMP_GROUP("a", "300", "2", "1")
		   COMP_ESP_GROUP(KEY_B));
	ck_assert_int_eq(reload(), 0);
	ck_assert_str_eq(fdp.log, "u:b u:e s:e c ");
	ck_assert_uint_eq(fdp.commits, 2);
	ck_assert_uint_eq(fdp.published, 2);
	ck_assert_ptr_eq(rtg("a")->sa[0]->live, la);
	ck_assert_uint_eq(atomic_load(&la->seq_next), 1234);
	ck_assert_ptr_eq(rtg("e")->sa[0]->live, lcomp); /* unchanged SA */
	ck_assert_ptr_ne(rtg("e")->sa[1]->live, NULL);  /* new key: a new object */
	ck_assert_uint_eq(atomic_load(&rtg("e")->sa[1]->live->packets), 0);
	ck_assert_ptr_null(fdp_find("b"));
	ck_assert_int_eq(rtg("e")->state, RT_INSTALLED);
}
END_TEST

/* The engine refuses one group, or the commit fails: refused with the
 * reason, nothing left staged, no routes. */
START_TEST(test_dp_refusals)
{
	write_conf("datapath = userspace\ninstall-routes = yes\n", COMP_GROUP("a", "300", "2", "1"));
	fdp.stage_err = -EINVAL;
	start();
	ck_assert_int_eq(rtg("a")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("a")->why.text, "the userspace datapath refused it: fake engine refuses a");
	ck_assert_uint_eq(fdp.commits, 0);
	fdp.stage_err = 0;
	fdp.commit_err = -EIO;
	ck_assert_int_eq(reload(), 0); /* a reload tries refused groups again */
	ck_assert_int_eq(rtg("a")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("a")->why.text,
			 "the userspace datapath could not take it: fake commit failure");
	ck_assert_str_eq(fdp.log, "s:a c u:a c ");
	ck_assert_uint_eq(fdp.n, 0);
	ck_assert_uint_eq(fk.dev_routes, 0);
	ck_assert_str_eq(view(), "");
}
END_TEST

/* Status: the live objects' counters and drops, the engine's sockets. */
START_TEST(test_status_userspace)
{
	struct sa_live *l;
	char *s;

	write_conf("datapath = userspace\ninstall-routes = no\n", COMP_GROUP("a", "300", "2", "1"));
	start();
	l = rtg("a")->sa[0]->live;
	atomic_store(&l->bytes, 1500);
	atomic_store(&l->packets, 3);
	atomic_store(&l->drop[DP_DROP_ICV], 2);
	atomic_store(&l->drop[DP_DROP_INFLATE], 7);
	fdp.not_ours = 4;
	reconcile_read_counters(&d);
	s = answer(status_text);
	ck_assert_str_eq(s,
		"group a\n"
		"  state: installed\n"
		"  placement: userspace (datapath = userspace in [daemon])\n"
		"  direction: out  reqid: 0x53400000\n"
		"  sa comp.300@192.0.2.2: bytes 1500 packets 3 replay-errors 0 integrity-errors 2\n"
		"    drops: icv 2 replay 0 policy 0 selector 0 malformed 0 inflate 7 mtu 0 seq 0\n"
		"datapath: spigrp0 tun-packets 9 tun-malformed 0 tun-no-group 1 tun-write-errors 0 "
		"tun-tx-dropped 6 tx-packets 8 tx-errors 0 rx-packets 5 rx-not-ours 4 "
		"rx-malformed 0\n"
		"  socket esp4: packets 5 not-ours 4 malformed 0\n");
	free(s);
	s = answer(status_json);
	ck_assert_ptr_nonnull(strstr(s, "\"bytes\":1500,\"packets\":3,\"replay_errors\":0,"
				     "\"integrity_errors\":2,\"drops\":{\"icv\":2,\"replay\":0,"
				     "\"policy\":0,\"selector\":0,\"malformed\":0,\"inflate\":7,"
				     "\"mtu\":0,\"seq\":0}}"));
	ck_assert_ptr_nonnull(strstr(s, "\"datapath\":{\"running\":true,\"device\":\"spigrp0\","
				     "\"tun_packets\":9,"));
	ck_assert_ptr_nonnull(strstr(s, "\"sockets\":[{\"name\":\"esp4\",\"packets\":5,"
				     "\"not_ours\":4,\"malformed\":0}]}}\n"));
	free(s);
}
END_TEST

/* The defect: a reload handed nothing over.  Now an unchanged group keeps
 * its runtime object (same pointer), its state and its SAs' counters, and
 * sees no kernel request, over any number of reloads. */
START_TEST(test_reload_keeps_unchanged)
{
	struct rt_group *ra, *rb;

	write_conf(NULL, COMP_GROUP("a", "300", "2", "1") ESP_GROUP("e", "1000", KEY_A, "1"));
	start();
	ra = rtg("a");
	rb = rtg("e");
	ra->sa[0]->ctr.bytes = 4242;
	rb->sa[0]->ctr.packets = 77;
	fk.log[0] = '\0';
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(reload(), 0);
		ck_assert_ptr_eq(rtg("a"), ra);
		ck_assert_ptr_eq(rtg("e"), rb);
	}
	ck_assert_uint_eq(ra->sa[0]->ctr.bytes, 4242);
	ck_assert_uint_eq(rb->sa[0]->ctr.packets, 77);
	ck_assert_int_eq(ra->state, RT_INSTALLED);
	ck_assert_str_eq(fk.log, "");
	ck_assert_uint_eq(fk.installs, 2);
	ck_assert_uint_eq(fk.removes, 0);
}
END_TEST

/* A changed group is removed, then installed anew; the others are not
 * touched; an SA of the changed group whose parameters did not change
 * keeps its object (counters). */
START_TEST(test_reload_changed_group)
{
	struct rt_sa *comp_sa, *esp_sa;
	struct rt_group *ra;

	/* group e = comp.3d0 + esp.1000 */
	write_conf(NULL, COMP_GROUP("a", "300", "2", "1")
		   COMP_ESP_GROUP(KEY_A));
	start();
	ra = rtg("a");
	comp_sa = rtg("e")->sa[0];
	esp_sa = rtg("e")->sa[1];
	comp_sa->ctr.bytes = 11;
	fk.log[0] = '\0';
	write_conf(NULL, COMP_GROUP("a", "300", "2", "1")
		   COMP_ESP_GROUP(KEY_B));
	ck_assert_int_eq(reload(), 0);
	ck_assert_str_eq(fk.log, "-e +e ");
	ck_assert_ptr_eq(rtg("a"), ra);
	ck_assert_ptr_eq(rtg("e")->sa[0], comp_sa); /* unchanged SA: same object */
	ck_assert_uint_eq(comp_sa->ctr.bytes, 11);
	ck_assert_ptr_ne(rtg("e")->sa[1], esp_sa);  /* new key: a new SA */
	ck_assert_int_eq(rtg("e")->state, RT_INSTALLED);
	ck_assert_str_eq(view(), "comp.300@192.0.2.2 \ncomp.3d0@192.0.2.9 esp.1000@192.0.2.9 \n");
}
END_TEST

START_TEST(test_reload_removed_added_retried)
{
	write_conf(NULL, COMP_GROUP("a", "300", "2", "1") COMP_GROUP("b", "301", "2", "2"));
	fk.install_err = -EEXIST;
	strcpy(fk.refuse[fk.nrefuse++], "b");
	start();
	ck_assert_int_eq(rtg("b")->state, RT_REFUSED);
	fk.log[0] = '\0';
	fk.install_err = 0;
	/* a goes, c comes, b (refused) is tried again */
	write_conf(NULL, COMP_GROUP("b", "301", "2", "2") COMP_GROUP("c", "302", "2", "3"));
	ck_assert_int_eq(reload(), 0);
	ck_assert_str_eq(fk.log, "-a +b +c ");
	ck_assert_int_eq(rtg("b")->state, RT_INSTALLED);
	ck_assert_ptr_null(sadb_find_group(d.db, "a"));
	/* the view follows the new file */
	ck_assert_str_eq(view(), "comp.301@192.0.2.2 \ncomp.302@192.0.2.2 \n");
}
END_TEST

START_TEST(test_reload_errors_keep_running)
{
	struct sadb *db;

	write_conf(NULL, COMP_GROUP("a", "300", "2", "1"));
	start();
	db = d.db;
	write_conf(NULL, "[group x]\nsaid = comp.999@192.0.2.2\nsrc-ts = 10.0.0.0/8\n"
			 "dst-ts = 10.0.0.0/8\n");
	ck_assert_int_eq(reload(), -EINVAL);
	ck_assert_ptr_eq(d.db, db);
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
	/* a syntax error too */
	write_conf(NULL, "[sa nonsense]\n");
	ck_assert_int_eq(reload(), -EINVAL);
	ck_assert_ptr_eq(d.db, db);
}
END_TEST

/* mount, control, state-dir and route settings keep their running values. */
START_TEST(test_reload_keeps_paths)
{
	FILE *f;

	write_conf(NULL, COMP_GROUP("a", "300", "2", "1"));
	start();
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[daemon]\nstate-dir = %s/other\nmount = %s/net2\ncontrol = %s/ctl2\n"
		   "datapath = kernel\ninstall-routes = yes\nroute-table = 99\n" COMP_GROUP("a", "300", "2", "1"),
		dir, dir, dir);
	fclose(f);
	ck_assert_int_eq(reload(), 0);
	ck_assert_ptr_nonnull(strstr(d.cfg->state_dir, "/state"));
	ck_assert_ptr_nonnull(strstr(d.cfg->mount, "/net"));
	ck_assert_ptr_null(strstr(d.cfg->mount, "/net2"));
	ck_assert(!d.cfg->install_routes);
	ck_assert_uint_ne(d.cfg->route_table, 99);
	ck_assert_int_eq(access(d.cfg->state_dir, F_OK), 0);
}
END_TEST

/* Address change: directions follow; a refused group is not retried. */
/* Capture what the log writes to stderr (at info and above) until
 * log_capture_end(), which returns it (caller frees). */
static int saved_stderr = -1;
static FILE *captured;

static void log_capture_begin(void)
{
	captured = tmpfile();
	ck_assert_ptr_nonnull(captured);
	fflush(stderr);
	saved_stderr = dup(2);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(fileno(captured), 2), 2);
	log_init("check_reconcile", true, LOG_INFO);
}

static char *log_capture_end(void)
{
	char *text = calloc(1, 65536);

	ck_assert_ptr_nonnull(text);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	log_init("check_reconcile", true, LOG_WARNING);
	rewind(captured);
	(void)!fread(text, 1, 65535, captured);
	fclose(captured);
	return text;
}

START_TEST(test_addresses)
{
	char *logged;

	write_conf(NULL, COMP_GROUP("a", "300", "2", "1")
		   "[sa comp.301@192.0.2.1]\nsrc = 192.0.2.5\ncomp = deflate\n"
		   "[group in]\nsaid = comp.301@192.0.2.1\nsrc-ts = 10.9.9.0/24\n"
		   "dst-ts = 10.0.1.0/24\n");
	fk.install_err = -EEXIST;
	strcpy(fk.refuse[fk.nrefuse++], "a");
	start();
	ck_assert_int_eq(rtg("in")->state, RT_INSTALLED);
	ck_assert_int_eq(grp("in")->dir, SADB_DIR_IN);
	fk.log[0] = '\0';
	/* 192.0.2.1 goes: group in cannot run here any more */
	fk.nlocal = 0;
	log_capture_begin();
	reconcile_addresses(&d);
	logged = log_capture_end();
	/* the file did not change: the log says what did */
	ck_assert_ptr_nonnull(strstr(logged, "info: group in removed (a local address changed)\n"));
	ck_assert_ptr_null(strstr(logged, "config"));
	free(logged);
	ck_assert_str_eq(fk.log, "-in "); /* a was refused: nothing to remove */
	fk.log[0] = '\0';
	ck_assert_int_eq(rtg("in")->state, RT_SKIPPED);
	ck_assert_int_eq(rtg("a")->state, RT_SKIPPED);
	/* back again: in is installed again, a is tried again (it was
	 * skipped, not refused) */
	fk.nlocal = 1;
	reconcile_addresses(&d);
	ck_assert_str_eq(fk.log, "+in ");
	ck_assert_int_eq(rtg("a")->state, RT_REFUSED);
	ck_assert_uint_eq(fk.installs, 4);
	/* same addresses again: nothing happens, refused stays refused */
	fk.log[0] = '\0';
	reconcile_addresses(&d);
	ck_assert_str_eq(fk.log, "");
	ck_assert_int_eq(rtg("a")->state, RT_REFUSED);
}
END_TEST

START_TEST(test_adopt_events_stop)
{
	write_conf("datapath = kernel\ninstall-routes = yes\n",
		   COMP_GROUP("a", "300", "2", "1") COMP_GROUP("b", "301", "2", "2"));
	strcpy(fk.adopt[fk.nadopt++], "a");
	start();
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
	ck_assert_str_eq(rtg("a")->why.text, "adopted");
	ck_assert_str_eq(fk.log, "+b "); /* a was adopted, not installed */
	ck_assert_uint_eq(fk.routes_added, 2);
	/* b deleted behind our back */
	strcpy(fk.lose, "b");
	reconcile_events(&d);
	ck_assert_int_eq(rtg("b")->state, RT_LOST);
	ck_assert_str_eq(rtg("b")->why.text, "state of b deleted behind our back");
	ck_assert_str_eq(view(), "comp.300@192.0.2.2 \n");
	fk.events_err = -ENOBUFS;
	reconcile_events(&d);
	/* a reload installs the lost group again */
	ck_assert_int_eq(reload(), 0);
	ck_assert_int_eq(rtg("b")->state, RT_INSTALLED);
	fk.log[0] = '\0';
	reconcile_stop(&d);
	ck_assert_str_eq(fk.log, "-b -a ");
	ck_assert_uint_eq(fk.routes_removed, 2);
	ck_assert_uint_eq(fk.cleanups, 1);
}
END_TEST

START_TEST(test_keep_on_exit)
{
	write_conf("datapath = kernel\ninstall-routes = no\nkeep-on-exit = yes\n",
		   COMP_GROUP("a", "300", "2", "1"));
	start();
	fk.log[0] = '\0';
	reconcile_stop(&d);
	ck_assert_str_eq(fk.log, "");
	ck_assert_int_eq(rtg("a")->state, RT_INSTALLED);
}
END_TEST

/* ---- sequence numbers of kernel SAs (kseq.h, seqstore.h) ---- */

/* The seq_first of group @name's first SA at its last install. */
static uint64_t first_of(const char *name)
{
	for (unsigned i = 0; i < fk.nf; i++)
		if (!strcmp(fk.fname[i], name))
			return fk.ffirst[i];
	ck_abort_msg("%s never installed", name);
	return 0;
}

#define MARGIN SEQSTORE_KERNEL_MARGIN

/* The record of SAID @text in the state dir's seq file (0: none). */
static uint64_t seq_record(const char *text)
{
	struct seqstore *s;
	struct reason why = { "" };
	struct said sa;
	char path[128];
	uint64_t v = 0;

	ck_assert_int_eq(said_parse(text, &sa, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	ck_assert_msg(seqstore_open(&s, path, &why) == 0, "%s", why.text);
	seqstore_get(s, &sa, &v);
	seqstore_close(s);
	return v;
}

/* The daemon ends (as after SIGTERM) and starts again on the same state. */
static void restart(void)
{
	reconcile_stop(&d);
	rt_free(d.rt);
	sadb_free(d.db);
	cfg_free(d.cfg);
	cfg_free(d.file);
	klipsrt_free(&d);
	seqstore_close(d.seq);
	snap_put(d.view_snap);
	d.rt = NULL;
	d.db = NULL;
	d.cfg = NULL;
	d.file = NULL;
	d.seq = NULL;
	d.view_snap = NULL;
	start();
}

START_TEST(test_seq_kernel_sa)
{
	write_conf(NULL, ESP_GROUP("e1", "1001", KEY_A, "1") COMP_GROUP("c", "300", "2", "2"));
	start();
	ck_assert_int_eq(rtg("e1")->state, RT_INSTALLED);
	/* a new SA starts at 1; first - 1 + margin is on disk before install */
	ck_assert_uint_eq(first_of("e1"), 1);
	ck_assert_uint_eq(seq_record("esp.1001@192.0.2.9"), MARGIN);
	/* the timer's record: what the kernel sent plus the margin */
	fk.oseq = 5000;
	reconcile_record_seq(&d, false);
	ck_assert_uint_eq(seq_record("esp.1001@192.0.2.9"), 5000 + MARGIN);
	ck_assert_uint_eq(rtg("e1")->sa[0]->ctr.oseq, 5000);
	/* comp has no sequence numbers: no record */
	ck_assert_uint_eq(seq_record("comp.300@192.0.2.2"), 0);
	/* a record is never raised by a lower reading */
	fk.oseq = 10;
	reconcile_record_seq(&d, false);
	ck_assert_uint_eq(seq_record("esp.1001@192.0.2.9"), 5000 + MARGIN);
	/* stop, the last numbers unknown: the restart starts above the
	 * stop's reading plus the margin */
	fk.oseq = 6000;
	fk.log[0] = '\0';
	restart();
	ck_assert_str_eq(fk.log, "-c -e1 +e1 +c ");
	ck_assert_uint_eq(first_of("e1"), 6000 + MARGIN + 1);
	ck_assert_uint_eq(seq_record("esp.1001@192.0.2.9"), 6000 + 2 * MARGIN);
	/* a clean stop reads the exact last number (no policy left): the
	 * restart skips nothing */
	fk.oseq = fk.last_oseq = 6000 + MARGIN + 50;
	fk.last_known = true;
	restart();
	ck_assert_uint_eq(first_of("e1"), 6000 + MARGIN + 51);
	/* a reload that changes the group: the same on its removal */
	fk.last_oseq = 6000 + MARGIN + 100;
	write_conf(NULL, ESP_GROUP("e1", "1001", KEY_A, "3"));
	ck_assert_int_eq(reload(), 0);
	ck_assert_uint_eq(first_of("e1"), 6000 + MARGIN + 101);
	ck_assert_uint_eq(seq_record("esp.1001@192.0.2.9"), 6000 + 2 * MARGIN + 100);
}
END_TEST

/* Before a start adopts or replaces what an earlier run left (kill -9: the
 * kernel kept sending), it records what those states sent. */
START_TEST(test_seq_before_adopt)
{
	write_conf(NULL, ESP_GROUP("e1", "1001", KEY_A, "1"));
	fk.oseq = 123456;
	fk.fin[fslot(&fk, "e1")] = true; /* left by a run killed with -9 */
	start();
	ck_assert_uint_eq(first_of("e1"), 123456 + MARGIN + 1);
}
END_TEST

#define NOESN_GROUP                                                                 \
	"[sa esp.2002@192.0.2.9]\nsrc = 192.0.2.1\nenc = aes128\nenckey = 0x" KEY_A \
	"\nauth = sha256\nauthkey = 0x00112233445566778899aabbccddeeff"             \
	"00112233445566778899aabbccddeeff\nesn = no\n"                              \
	"[group n1]\nsaid = esp.2002@192.0.2.9\n"                                   \
	"src-ts = 10.0.1.0/24\ndst-ts = 10.7.1.0/24\n"
#define INBOUND_GROUP                                                               \
	"[sa esp.3003@192.0.2.1]\nsrc = 192.0.2.9\nenc = aes128\nenckey = 0x" KEY_A \
	"\nauth = sha256\nauthkey = 0x00112233445566778899aabbccddeeff"             \
	"00112233445566778899aabbccddeeff\n"                                        \
	"[group i1]\nsaid = esp.3003@192.0.2.1\n"                                   \
	"src-ts = 10.7.2.0/24\ndst-ts = 10.0.1.0/24\n"

/* Write the state dir's seq file: the header line, then @records.
 * Return: its path (static). */
static const char *write_seq(const char *records)
{
	static char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/state/seq", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# spigrpd seq v1\n%s", records);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	return path;
}

/* Without ESN the 32-bit space runs out: refused with a reason that says
 * to rekey, before the kernel sees the group. */
START_TEST(test_seq_noesn_used_up)
{
	/* 2^32 - 1 - 0xf0000000 numbers left: less than the margin (2^28) */
	write_seq("esp.2002@192.0.2.9 0xf0000000\n");
	write_conf(NULL, NOESN_GROUP ESP_GROUP("e1", "1001", KEY_A, "1"));
	start();
	ck_assert_int_eq(rtg("n1")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("n1")->why.text,
			 "sequence numbers: esp.2002@192.0.2.9: 32-bit sequence numbers used up "
			 "(no ESN): rekey with new SPIs");
	ck_assert_str_eq(fk.log, "+e1 ");
	ck_assert_int_eq(rtg("e1")->state, RT_INSTALLED);
	/* one margin left: installed, starting above the record */
	write_seq("esp.2002@192.0.2.9 0xe0000000\n");
	restart();
	ck_assert_int_eq(rtg("n1")->state, RT_INSTALLED);
	ck_assert_uint_eq(first_of("n1"), 0xe0000001ull);
	ck_assert_uint_eq(seq_record("esp.2002@192.0.2.9"),
			  0xe0000000ull + SEQSTORE_KERNEL_MARGIN);
}
END_TEST

/* A seq file that does not parse is never reset: outbound ESP/AH groups
 * are refused, the others installed. */
START_TEST(test_seq_corrupt_file)
{
	const char *path = write_seq("esp.1001@192.0.2.9 0xzz\n");
	char line[160];
	FILE *f;

	write_conf(NULL, ESP_GROUP("e1", "1001", KEY_A, "1") INBOUND_GROUP);
	start();
	ck_assert_int_eq(rtg("e1")->state, RT_REFUSED);
	ck_assert_str_eq(rtg("e1")->why.text,
			 "sequence numbers: the sequence number file could not be read");
	ck_assert_int_eq(rtg("i1")->state, RT_INSTALLED);
	/* the file is left as it was */
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "esp.1001@192.0.2.9 0xzz\n");
	fclose(f);
}
END_TEST

/* ---- status answers ---- */

static char *answer(void (*fn)(const struct daemon *, struct strbuf *))
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	fn(&d, &b);
	s = strbuf_take(&b, NULL);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_status)
{
	char *s;

	write_conf(NULL, COMP_GROUP("a", "300", "2", "1")
		   "[group p]\nsaid = %%drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.7.0.0/16\n"
		   "[sa tun.301@192.0.2.2]\nsrc = 192.0.2.1\n"
		   "[sa comp.301@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
		   "[group t]\nsaid = tun.301@192.0.2.2 comp.301@192.0.2.2\n"
		   "src-ts = 10.0.1.0/24\ndst-ts = 10.9.3.0/24\n");
	fk.install_err = -EPROTONOSUPPORT;
	strcpy(fk.refuse[fk.nrefuse++], "t");
	start();
	fk.bytes = 1000;
	reconcile_read_counters(&d);
	ck_assert_int_eq(labels_set(&d.labels, 7, "anchor", NULL), 0);
	s = answer(status_list);
	ck_assert_str_eq(s, "a installed kernel out comp.300@192.0.2.2\n"
			    "p installed kernel out %drop\n"
			    "t refused kernel out tun.301@192.0.2.2 comp.301@192.0.2.2\n");
	free(s);
	s = answer(status_text);
	ck_assert_str_eq(s,
		"group a\n"
		"  state: installed\n"
		"  placement: kernel (datapath = kernel in [daemon])\n"
		"  direction: out  reqid: 0x53400000\n"
		"  sa comp.300@192.0.2.2: bytes 1000 packets 1 replay-errors 0 integrity-errors 0\n"
		"group p\n"
		"  state: installed\n"
		"  placement: kernel (datapath = kernel in [daemon])\n"
		"  direction: out  reqid: 0x53400001\n"
		"group t\n"
		"  state: refused (kernel refused it (EPROTONOSUPPORT): fake refusal of t)\n"
		"  placement: kernel (datapath = kernel in [daemon])\n"
		"  direction: out  reqid: 0x53400002\n"
		"  sa tun.301@192.0.2.2: bytes 0 packets 0 replay-errors 0 integrity-errors 0\n"
		"  sa comp.301@192.0.2.2: bytes 0 packets 0 replay-errors 0 integrity-errors 0\n"
		"label reqid 7 (0x00000007): anchor\n"
		"datapath: spigrp0 tun-packets 9 tun-malformed 0 tun-no-group 1 tun-write-errors 0 "
		"tun-tx-dropped 6 tx-packets 8 tx-errors 0 rx-packets 5 rx-not-ours 0 "
		"rx-malformed 0\n"
		"  socket esp4: packets 5 not-ours 0 malformed 0\n");
	free(s);
	s = answer(status_json);
	ck_assert_str_eq(s,
		"{\"version\":\"" PACKAGE_VERSION "\",\"groups\":["
		"{\"name\":\"a\",\"implicit\":false,\"state\":\"installed\",\"state_reason\":"
		"\"installed\",\"placement\":\"kernel\",\"placement_reason\":"
		"\"datapath = kernel in [daemon]\",\"direction\":\"out\",\"reqid\":1396703232,"
		"\"sas\":[{\"said\":\"comp.300@192.0.2.2\",\"bytes\":1000,\"packets\":1,"
		"\"replay_errors\":0,\"integrity_errors\":0}]},"
		"{\"name\":\"p\",\"implicit\":false,\"state\":\"installed\",\"state_reason\":"
		"\"installed\",\"placement\":\"kernel\",\"placement_reason\":"
		"\"datapath = kernel in [daemon]\",\"direction\":\"out\",\"reqid\":1396703233,"
		"\"sas\":[{\"said\":\"%drop\"}]},"
		"{\"name\":\"t\",\"implicit\":false,\"state\":\"refused\",\"state_reason\":"
		"\"kernel refused it (EPROTONOSUPPORT): fake refusal of t\",\"placement\":\"kernel\","
		"\"placement_reason\":\"datapath = kernel in [daemon]\",\"direction\":\"out\","
		"\"reqid\":1396703234,\"sas\":[{\"said\":\"tun.301@192.0.2.2\",\"bytes\":0,"
		"\"packets\":0,\"replay_errors\":0,\"integrity_errors\":0},"
		"{\"said\":\"comp.301@192.0.2.2\",\"bytes\":0,\"packets\":0,\"replay_errors\":0,"
		"\"integrity_errors\":0}]}],"
		"\"labels\":[{\"reqid\":7,\"label\":\"anchor\"}],"
		"\"datapath\":{\"running\":true,\"device\":\"spigrp0\",\"tun_packets\":9,"
		"\"tun_malformed\":0,\"tun_no_group\":1,\"tun_write_errors\":0,\"tun_tx_dropped\":6,"
		"\"tx_packets\":8,"
		"\"tx_errors\":0,\"rx_packets\":5,\"rx_not_ours\":0,\"rx_malformed\":0,"
		"\"sockets\":[{\"name\":\"esp4\",\"packets\":5,\"not_ours\":0,\"malformed\":0}]}}\n");
	free(s);
	labels_clear(&d.labels);
}
END_TEST

/* The TUN's transmit drops from /proc/net/dev (as Linux 6.1 prints it):
 * the 12th number after "NAME:", the right device only. */
START_TEST(test_netdev_tx_dropped)
{
	const char *dev =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
		"packets errs drop fifo colls carrier compressed\n"
		"    lo:    1120      14    0    0    0     0          0         0     1120      "
		"14    0    0    0     0       0          0\n"
		"spigrp0: 5000000    4000    0    0    0     0          0         0 90000000   "
		"70000    1  317    0     0       0          0\n"
		"spigrp01:      0       0    0    0    0     0          0         0        0       "
		"0    0   99    0     0       0          0\n"
		" bad0: 1 2 3\n";
	uint64_t v = 0;

	ck_assert_int_eq(status_netdev_tx_dropped(dev, "spigrp0", &v), 0);
	ck_assert_uint_eq(v, 317);
	ck_assert_int_eq(status_netdev_tx_dropped(dev, "spigrp01", &v), 0);
	ck_assert_uint_eq(v, 99);
	ck_assert_int_eq(status_netdev_tx_dropped(dev, "lo", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(status_netdev_tx_dropped(dev, "spigrp", &v), -ENOENT);
	ck_assert_int_eq(status_netdev_tx_dropped(dev, "bad0", &v), -EINVAL);
	ck_assert_int_eq(status_netdev_tx_dropped("", "lo", &v), -ENOENT);
}
END_TEST

/* An implicit group (an SA in no group) says so. */
START_TEST(test_status_implicit)
{
	char *s;

	write_conf(NULL, "[sa comp.300@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n");
	start();
	s = answer(status_text);
	ck_assert_ptr_nonnull(strstr(s, "group comp.300@192.0.2.2 (SA in no group)\n"));
	free(s);
	s = answer(status_json);
	ck_assert_ptr_nonnull(strstr(s, "\"implicit\":true"));
	free(s);
}
END_TEST

/* Many groups, one reload: every group is carried over, none touched. */
/* The foreign groups follow ours in the view; the view is stale when the
 * mirror's objects (or only its counters) changed since it was rendered. */
/* ---- the KLIPS commands' transactions (klipsrt.h) ---- */

#define K24 "0x0123456789abcdef0123456789abcdef0123456789abcdef"
#define K20 "0x0123456789abcdef0123456789abcdef01234567"

/* Run the control-socket request @line as root; the answer in @out. */
static int klips_cmd(const char *line, struct strbuf *out)
{
	static struct cmd_call call;
	struct reason why = { "" };

	strbuf_free(out);
	ck_assert_int_eq(cmd_parse(&daemon_commands, line, strlen(line), &call, &why), 0);
	ck_assert_int_eq(cmd_check_args(&call, &why), 0);
	return cmd_exec(&d, &call, out);
}

/* state-dir/runtime's text (malloc'ed), or NULL. */
static char *runtime_text(void)
{
	char path[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state/runtime", dir);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	ck_assert_int_ge(getdelim(&text, &len, '\0', f), 0);
	fclose(f);
	return text;
}

START_TEST(test_klips_txn)
{
	struct strbuf out = STRBUF_INIT;
	char *before, *after;

	write_conf(NULL, "");
	start();
	ck_assert_int_eq(klips_cmd("spi spi --said esp.300@192.0.2.2 --src 192.0.2.1 --esp "
				   "3des-sha1-96 --enckey " K24 " --authkey " K20, &out), 0);
	ck_assert_str_eq(out.s, "added SA esp.300@192.0.2.2\n");
	ck_assert_int_eq(klips_cmd("spi spi --said esp.301@192.0.2.2 --src 192.0.2.1 --esp "
				   "3des-sha1-96 --enckey " K24 " --authkey " K20, &out), 0);
	ck_assert_int_eq(reconcile_rt(&d, grp("esp.300@192.0.2.2"))->state, RT_INSTALLED);
	ck_assert_int_eq(reconcile_rt(&d, grp("esp.301@192.0.2.2"))->state, RT_INSTALLED);
	before = runtime_text();
	ck_assert_ptr_nonnull(before);
	ck_assert_ptr_null(strstr(before, "\nspigrp "));
	/* the kernel refuses the group: everything as it was */
	fk.refuse_nsa = 2;
	ck_assert_int_ne(klips_cmd("spigrp spigrp --said esp.300@192.0.2.2 esp.301@192.0.2.2", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "spigrp: group esp.300@192.0.2.2: refused: "));
	ck_assert_ptr_nonnull(strstr(out.s, "spigrp: nothing was changed\n"));
	ck_assert_uint_eq(d.krt.nlink, 0);
	after = runtime_text();
	ck_assert_str_eq(before, after);
	free(after);
	ck_assert(grp("esp.300@192.0.2.2")->implicit);
	ck_assert_int_eq(reconcile_rt(&d, grp("esp.300@192.0.2.2"))->state, RT_INSTALLED);
	ck_assert_int_eq(reconcile_rt(&d, grp("esp.301@192.0.2.2"))->state, RT_INSTALLED);
	/* accepted: grouped, written, installed */
	fk.refuse_nsa = 0;
	ck_assert_int_eq(klips_cmd("spigrp spigrp --said esp.300@192.0.2.2 esp.301@192.0.2.2", &out), 0);
	ck_assert_str_eq(out.s, "grouped esp.300@192.0.2.2 esp.301@192.0.2.2\n");
	ck_assert_uint_eq(d.db->ngroup, 1);
	ck_assert_int_eq(reconcile_rt(&d, grp("esp.300@192.0.2.2"))->state, RT_INSTALLED);
	after = runtime_text();
	ck_assert_ptr_nonnull(strstr(after, "spigrp --said esp.300@192.0.2.2 esp.301@192.0.2.2\n"));
	free(after);
	/* a request the parser refuses changes nothing either */
	ck_assert_int_eq(klips_cmd("spigrp spigrp --said esp.300@192.0.2.2 bogus", &out), -EINVAL);
	ck_assert_ptr_nonnull(strstr(out.s, "bogus"));
	ck_assert_uint_eq(d.krt.nlink, 1);
	free(before);
	strbuf_free(&out);
}
END_TEST

/* Runtime objects that no longer fit (an address came: both ends of the
 * SA are local) are left out, their eroute's traffic blocked; the config's
 * groups run, and commands still work. */
START_TEST(test_klips_unfit)
{
	struct strbuf out = STRBUF_INIT;

	write_conf(NULL, "[group p]\nsaid = %%pass\nsrc-ts = 10.9.0.0/16\ndst-ts = 10.8.0.0/16\n");
	start();
	ck_assert_int_eq(klips_cmd("spi spi --said esp.300@192.0.2.2 --src 192.0.2.1 --esp "
				   "3des-sha1-96 --enckey " K24 " --authkey " K20, &out), 0);
	ck_assert_int_eq(klips_cmd("eroute eroute --add --src 10.0.0.0/8 --dst 10.1.0.0/16 --said "
				   "esp.300@192.0.2.2", &out), 0);
	ck_assert_uint_eq(grp("esp.300@192.0.2.2")->nsrc_ts, 1);
	/* 192.0.2.2 becomes local: esp.300 has both ends local now */
	ck_assert_int_eq(ip_addr_parse("192.0.2.2", &fk.local[1], NULL, 0), 0);
	fk.nlocal = 2;
	reconcile_addresses(&d);
	ck_assert_ptr_null(sadb_find_group(d.db, "esp.300@192.0.2.2"));
	ck_assert(said_is_magic(&grp("unfit:esp.300@192.0.2.2")->shunt_said));
	ck_assert_int_eq(reconcile_rt(&d, grp("p"))->state, RT_INSTALLED);
	ck_assert_ptr_nonnull(strstr(d.unfit.s, "esp.300@192.0.2.2\n"));
	/* a command that adds nothing unfit goes through; the objects stay */
	ck_assert_int_eq(klips_cmd("spi spi --said esp.301@192.0.2.3 --src 192.0.2.1 --esp "
				   "3des-sha1-96 --enckey " K24 " --authkey " K20, &out), 0);
	ck_assert_uint_eq(d.krt.nsa, 2);
	/* one that adds an unfit SA is refused, naming why */
	ck_assert_int_eq(klips_cmd("spi spi --said esp.302@192.0.2.2 --src 192.0.2.1 --esp "
				   "3des-sha1-96 --enckey " K24 " --authkey " K20, &out), -EINVAL);
	ck_assert_ptr_nonnull(strstr(out.s, "esp.302@192.0.2.2"));
	ck_assert_ptr_null(strstr(out.s, "added SA"));
	/* deleting the unfit one works */
	ck_assert_int_eq(klips_cmd("spi spi --said esp.300@192.0.2.2 --del", &out), 0);
	ck_assert_ptr_null(sadb_find_group(d.db, "unfit:esp.300@192.0.2.2"));
	strbuf_free(&out);
}
END_TEST

START_TEST(test_view_foreign)
{
	static struct kern_ops ops;

	ops = fake_ops;
	ops.foreign_view = f_foreign_view;
	ops.view_gen = f_view_gen;
	d.ops = &ops;
	fm_objects = 5;
	fm_counters = 7;
	write_conf(NULL, ESP_GROUP("e", "1000", KEY_A, "1"));
	start();
	ck_assert_str_eq(view(), "esp.1000@192.0.2.9 \nesp.c0000001@198.51.100.9 \n");
	ck_assert_int_eq(reconcile_view_stale(&d), 0);
	fm_counters++;
	ck_assert_int_eq(reconcile_view_stale(&d), RECONCILE_VIEW_COUNTERS);
	fm_objects++;
	ck_assert_int_eq(reconcile_view_stale(&d), RECONCILE_VIEW_OBJECTS);
	reconcile_publish(&d);
	ck_assert_int_eq(reconcile_view_stale(&d), 0);
	d.ops = &fake_ops; /* without a mirror: never stale */
	ck_assert_int_eq(reconcile_view_stale(&d), 0);
}
END_TEST

START_TEST(test_reload_many)
{
	enum { N = 20000 };
	FILE *f = fopen(conf, "w");
	size_t kept = 0;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[daemon]\nstate-dir = %s/state\ndatapath = kernel\ninstall-routes = no\n", dir);
	for (unsigned i = 0; i < N; i++)
		fprintf(f, "[sa comp.%x@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
			   "[group g%u]\nsaid = comp.%x@192.0.2.2\nsrc-ts = 10.0.0.0/8\n"
			   "dst-ts = 172.%u.%u.0/24\n",
			0x1000 + i, i, 0x1000 + i, 16 + i / 256, i % 256);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(conf, 0600), 0);
	start();
	ck_assert_uint_eq(fk.installs, N);
	ck_assert_int_eq(reload(), 0);
	ck_assert_uint_eq(fk.installs, N);
	ck_assert_uint_eq(fk.removes, 0);
	for (size_t i = 0; i < d.db->ngroup; i++)
		kept += d.rt->group[i]->state == RT_INSTALLED;
	ck_assert_uint_eq(kept, N);
}
END_TEST

/* Many userspace groups: one commit per pass, not one per group. */
START_TEST(test_userspace_many_one_commit)
{
	enum { N = 3000 };
	FILE *f = fopen(conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[daemon]\nstate-dir = %s/state\ndatapath = userspace\ninstall-routes = no\n",
		dir);
	for (unsigned i = 0; i < N; i++)
		fprintf(f, "[sa comp.%x@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
			   "[group g%u]\nsaid = comp.%x@192.0.2.2\nsrc-ts = 10.0.0.0/8\n"
			   "dst-ts = 172.%u.%u.0/24\n",
			0x1000 + i, i, 0x1000 + i, 16 + i / 256, i % 256);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(conf, 0600), 0);
	start();
	ck_assert_uint_eq(fdp.stages, N);
	ck_assert_uint_eq(fdp.commits, 1);
	ck_assert_uint_eq(fdp.published, N);
	ck_assert_int_eq(reload(), 0);
	ck_assert_uint_eq(fdp.stages, N);
	ck_assert_uint_eq(fdp.commits, 1);
}
END_TEST

static Suite *reconcile_suite(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = tcase_create("reconcile");
	TCase *tm = tcase_create("many");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_start_installs);
	tcase_add_test(tc, test_refused_and_skipped);
	tcase_add_test(tc, test_probe_says_no);
	tcase_add_test(tc, test_userspace_installs);
	tcase_add_test(tc, test_no_engine);
	tcase_add_test(tc, test_engine_lazy);
	tcase_add_test(tc, test_split_refused);
	tcase_add_test(tc, test_reload_keeps_live);
	tcase_add_test(tc, test_dp_refusals);
	tcase_add_test(tc, test_status_userspace);
	tcase_add_test(tc, test_reload_keeps_unchanged);
	tcase_add_test(tc, test_reload_changed_group);
	tcase_add_test(tc, test_reload_removed_added_retried);
	tcase_add_test(tc, test_reload_errors_keep_running);
	tcase_add_test(tc, test_reload_keeps_paths);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_adopt_events_stop);
	tcase_add_test(tc, test_keep_on_exit);
	tcase_add_test(tc, test_seq_kernel_sa);
	tcase_add_test(tc, test_seq_before_adopt);
	tcase_add_test(tc, test_seq_noesn_used_up);
	tcase_add_test(tc, test_seq_corrupt_file);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_status_implicit);
	tcase_add_test(tc, test_netdev_tx_dropped);
	tcase_add_test(tc, test_view_foreign);
	tcase_add_test(tc, test_klips_txn);
	tcase_add_test(tc, test_klips_unfit);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_set_timeout(tm, 120); /* under ASan and a loaded machine */
	tcase_add_test(tm, test_reload_many);
	tcase_add_test(tm, test_userspace_many_one_commit);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reconcile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
