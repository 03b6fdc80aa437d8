/* reconcile.c: desired vs installed (reconcile.h).
 *
 * A change of the desired model (start, reload, address change) is one new
 * sadb: rt_handover() moves the runtime objects of unchanged groups to it
 * (hash lookups, so a reload costs what a start costs), the groups that
 * changed or went are removed from the kernel or the datapath, then every
 * PENDING group is placed and installed: in the kernel at once, in the
 * userspace datapath staged, all of a pass published by one dp commit
 * (then their routes and the nftables table follow).  Each outcome is
 * logged here, once.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ctl.h"
#include "kview_own.h"
#include "labels.h"
#include "daemon.h"
#include "dpsnap.h"
#include "kseq.h"
#include "log.h"
#include "loop.h"
#include "place.h"
#include "salive.h"
#include "reconcile.h"
#include "render.h"
#include "reqid.h"
#include "seqstore.h"
#include "snap.h"
#include "statefile.h"
#include "strbuf.h"
#include "view.h"
#include "klipsrt.h"

struct rt_group *reconcile_rt(const struct daemon *d, const struct sadb_group *g)
{
	return rt_of(d->rt, g);
}

/* Does @g, installed, get routes?  (route_wanted(): the one rule.) */
static bool routed(const struct daemon *d, const struct sadb_group *g)
{
	return d->ops->route_wanted(d->kern, g);
}

/* Routes of an installed group: a kernel group's towards its peer, a
 * userspace group's into the TUN with `mtu lock` @mtu. */
static void add_routes(struct daemon *d, const struct sadb_group *g, uint32_t mtu)
{
	struct reason why = { "" };
	int e;

	if (!routed(d, g))
		return;
	if (rt_of(d->rt, g)->place == PLACE_KERNEL)
		e = d->ops->route_add(d->kern, g, &why);
	else
		e = d->ops->route_add_dev(d->kern, g, d->dpops->ifindex(d->dp), mtu, &why);
	if (e < 0)
		log_warn("group %s: routes not installed: %s", g->name,
			 why.text[0] ? why.text : strerror(-e));
}

/* Read @g's counters into @ctr (an SA the kernel does not answer for
 * keeps what it had; an SA object handed over to a new group, NULL here,
 * starts from zero). */
static void read_counters(struct daemon *d, const struct sadb_group *g, struct rt_group *r,
			  struct sa_counters *ctr)
{
	for (unsigned k = 0; k < g->nsa; k++)
		ctr[k] = r->sa[k] ? r->sa[k]->ctr : (struct sa_counters){ 0 };
	d->ops->read_counters(d->kern, g, ctr);
}

/* ---- the kernel backend's questions about runtime state ---- */

static bool own_wants_kernel(void *arg, const struct sadb_group *g)
{
	const struct rt_group *r = reconcile_rt(arg, g);

	return r && r->place == PLACE_KERNEL && r->state != RT_SKIPPED;
}

static bool own_installed(void *arg, const struct sadb_group *g)
{
	const struct rt_group *r = reconcile_rt(arg, g);

	return r && r->state == RT_INSTALLED && r->place == PLACE_KERNEL;
}

static void own_adopted(void *arg, const struct sadb_group *g)
{
	rt_set_state(reconcile_rt(arg, g), RT_INSTALLED, "adopted");
	log_info("group %s: adopted (left in the kernel by an earlier run)", g->name);
}

static void own_lost(void *arg, const struct sadb_group *g, const struct reason *why)
{
	rt_set_state(reconcile_rt(arg, g), RT_LOST, "%s", why->text);
	log_warn("group %s lost: %s; the rest of it was removed", g->name, why->text);
}

static struct xfrm_owner owner(struct daemon *d)
{
	return (struct xfrm_owner){
		.arg = d,
		.wants_kernel = own_wants_kernel,
		.installed = own_installed,
		.adopted = own_adopted,
		.lost = own_lost,
	};
}

static int probe(void *arg, const struct sadb_group *g, struct reason *why)
{
	struct daemon *d = arg;

	return d->ops->probe(d->kern, g, why);
}

/* ---- one group ---- */

static const char *group_said0(const struct sadb_group *g, char *buf, size_t len)
{
	if (g->shunt)
		said_format(&g->shunt_said, '0', buf, len);
	else if (g->nsa)
		said_format(&g->sa[0]->cfg->said, '0', buf, len);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void refused(const struct sadb_group *g, struct rt_group *r, int e, const struct reason *why)
{
	const char *ename = strerrorname_np(-e);
	const char *text = why->text[0] ? why->text : strerror(-e);
	char s0[SAID_BUF];

	rt_set_state(r, RT_REFUSED, "kernel refused it (%s): %s", ename ? ename : "?", text);
	log_err("group %s (%s...) refused by the kernel (%s): %s", g->name,
		group_said0(g, s0, sizeof(s0)), ename ? ename : "?", text);
}

/* What one pass (reconcile_install_pending()) counts and stages. */
struct pass {
	size_t installed[2];      /* installed groups per placement, kept up
				     to date: conflict checks only look when
				     the other side has any */
	const struct sadb_group **staged; /* userspace groups staged by this pass */
	uint32_t *mtu;            /* ... and their inner MTUs */
	size_t nstaged;
};

/*
 * Can @g (placed in r->place) run beside the groups installed on the other
 * side?  Two inbound groups with overlapping selectors cannot be split
 * between the kernel and the userspace datapath (what the datapath writes
 * into its TUN would meet the kernel's in/fwd policy), nor two outbound
 * groups with a dst-ts in common (one route).  The later group is refused.
 * O(groups) per group, and only while both sides hold groups.
 */
static bool conflicts(struct daemon *d, const struct sadb_group *g, struct rt_group *r,
		      const struct pass *p)
{
	enum place_where other = r->place == PLACE_KERNEL ? PLACE_USERSPACE : PLACE_KERNEL;
	char sp[IP_PREFIX_BUF], dp[IP_PREFIX_BUF];
	const struct ip_prefix *src, *dst;

	if (!p->installed[other])
		return false;
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *o = d->db->group[i];
		const struct rt_group *ro = reconcile_rt(d, o);

		if (o == g || ro->state != RT_INSTALLED || ro->place != other)
			continue;
		if (sadb_inbound(g) && sadb_inbound(o) && sadb_ts_overlap(g, o, &src, &dst)) {
			ip_prefix_format(src, sp, sizeof(sp));
			ip_prefix_format(dst, dp, sizeof(dp));
			rt_set_state(r, RT_REFUSED,
				     "its inbound selectors overlap those of group %s in the %s "
				     "datapath (%s -> %s): the kernel and the userspace datapath "
				     "cannot share them", o->name, place_name(other), sp, dp);
		} else if (g->dir == SADB_DIR_OUT && o->dir == SADB_DIR_OUT && !g->shunt &&
			   !o->shunt && sadb_same_dst_ts(g, o, &dst)) {
			ip_prefix_format(dst, dp, sizeof(dp));
			rt_set_state(r, RT_REFUSED,
				     "dst-ts %s is also that of group %s in the %s datapath: one "
				     "route cannot lead to both", dp, o->name, place_name(other));
		} else {
			continue;
		}
		log_err("group %s (%s) refused: %s", g->name, place_name(r->place), r->why.text);
		return true;
	}
	return false;
}

/* The live objects of @g's SAs into @live, made where missing.  0 or
 * -ENOMEM. */
static int live_objects(const struct sadb_group *g, struct rt_group *r, struct sa_live **live)
{
	for (unsigned k = 0; k < g->nsa; k++) {
		const struct cfg_sa *c = g->sa[k]->cfg;

		if (!r->sa[k]->live)
			r->sa[k]->live = sa_live_new(c->replay_window, c->esn);
		if (!r->sa[k]->live)
			return -ENOMEM;
		live[k] = r->sa[k]->live;
	}
	return 0;
}

/* The largest inner packet @g sends whole: from the path MTU towards its
 * outer destination (1500 when routes are off or there is no route yet). */
static uint32_t inner_mtu(struct daemon *d, const struct sadb_group *g, struct rt_group *r)
{
	struct reason why = { "" };
	uint32_t pmtu = 0;

	if (d->ops->path_mtu(d->kern, g, &pmtu, &why) < 0 || !pmtu)
		pmtu = 1500;
	return d->dpops->inner_mtu(r->dp, pmtu);
}

/* Stage @g in the userspace datapath; INSTALLED once this pass commits. */
static void stage_group(struct daemon *d, const struct sadb_group *g, struct rt_group *r,
			struct pass *p)
{
	struct sa_live *live[CFG_MAX_GROUP_SAS + 1] = { NULL };
	struct reason why = { "" };
	uint32_t mtu;
	int e;

	rt_place_why(r, g, &why);
	if (!d->dp && d->dp_start && !d->dp_tried) {
		d->dp_tried = true;
		d->dp_start(d);
	}
	if (!d->dp) {
		rt_set_state(r, RT_SKIPPED,
			     "placed in userspace (%s); the userspace datapath is not running: %s",
			     why.text, d->dp_why);
		log_warn("group %s not installed: %s", g->name, r->why.text);
		return;
	}
	/* what a datapath thread reads: keys copied, not borrowed */
	if (!r->dp)
		r->dp = dpsnap_build(g, NULL);
	why.text[0] = '\0';
	e = !r->dp ? -ENOMEM : live_objects(g, r, live);
	mtu = e ? 0 : inner_mtu(d, g, r);
	if (!e)
		e = d->dpops->stage(d->dp, r->dp, live, mtu, &why);
	if (e < 0) {
		rt_set_state(r, RT_REFUSED, "the userspace datapath refused it: %s",
			     why.text[0] ? why.text : strerror(-e));
		log_err("group %s refused: %s", g->name, r->why.text);
		return;
	}
	p->staged[p->nstaged] = g;
	p->mtu[p->nstaged++] = mtu;
	p->installed[PLACE_USERSPACE]++;
	if (sadb_inbound(g))
		d->filter_dirty = true;
	rt_set_state(r, RT_INSTALLED, "installed");
}


/* The first sequence numbers of @g's outbound SAs, recorded (with the
 * margin) and written before the kernel sees them (kseq.h). */
static int seq_plan(struct daemon *d, const struct sadb_group *g, uint64_t *first,
		    struct reason *why)
{
	int e = kseq_plan(d->seq, g, first, why);

	if (e == 0 && d->seq)
		e = seqstore_sync(d->seq, why);
	return e;
}

static void install_group(struct daemon *d, const struct sadb_group *g, struct pass *p)
{
	struct rt_group *r = reconcile_rt(d, g);
	struct reason why = { "" };
	uint64_t first[CFG_MAX_GROUP_SAS + 1];
	struct place_verdict v;
	int e;

	if (r->state == RT_SKIPPED) {
		log_notice("group %s skipped: %s", g->name, r->why.text);
		return;
	}
	if (r->state != RT_PENDING)
		return;
	if (g->dir == SADB_DIR_NONE) {
		rt_set_state(r, RT_SKIPPED, "neither end of its SAs is a local address");
		log_notice("group %s skipped: %s", g->name, r->why.text);
		return;
	}
	place_decide(g, probe, d, &v);
	rt_set_placement(r, &v);
	if (conflicts(d, g, r, p))
		return;
	if (r->place == PLACE_USERSPACE) {
		stage_group(d, g, r, p);
		return;
	}
	e = seq_plan(d, g, first, &why);
	if (e < 0) {
		rt_set_state(r, RT_REFUSED, "sequence numbers: %s", why.text);
		log_err("group %s not installed: %s", g->name, r->why.text);
		return;
	}
	e = d->ops->install(d->kern, g, first, &why);
	if (e < 0) {
		refused(g, r, e, &why);
		return;
	}
	rt_set_state(r, RT_INSTALLED, "installed");
	p->installed[PLACE_KERNEL]++;
	log_info("group %s installed (reqid 0x%08x, %s)", g->name, g->reqid, sadb_dir_name(g->dir));
	add_routes(d, g, 0);
}

/* Note (not yet written) the output sequence numbers of @g's outbound
 * ESP/AH SAs; @all: also when @g is not installed in the kernel.  Counters
 * of an installed group are kept.  0 or -errno of the store. */
static int note_seq(struct daemon *d, const struct sadb_group *g, struct rt_group *rg, bool all)
{
	struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];
	bool live = rg->state == RT_INSTALLED && rg->place == PLACE_KERNEL;
	unsigned k, n = 0;

	for (k = 0; k < g->nsa; k++)
		n += kseq_counts(g, k);
	if (!d->seq || !n || (!all && !live))
		return 0;
	read_counters(d, g, rg, ctr);
	for (k = 0; live && k < g->nsa; k++)
		if (rg->sa[k])
			rg->sa[k]->ctr = ctr[k];
	return kseq_note(d->seq, g, ctr);
}

static void uninstall_group(struct daemon *d, const struct sadb_group *g, struct rt_group *r,
			    const char *why)
{
	struct reason rwhy = { "" };
	uint64_t last[CFG_MAX_GROUP_SAS + 1];
	int e = 0;

	if (r->state != RT_INSTALLED)
		return;
	if (routed(d, g))
		d->ops->route_del(d->kern, g);
	if (r->place == PLACE_USERSPACE) {
		/* published by this pass's commit (or gone with the engine) */
		if (d->dp)
			d->dpops->unstage(d->dp, g->name);
		d->dp_dirty = true;
		if (sadb_inbound(g))
			d->filter_dirty = true;
	} else {
		e = d->ops->remove(d->kern, g, last, &rwhy);
	}
	if (e < 0)
		log_warn("group %s: removing it from the kernel: %s", g->name,
			 rwhy.text[0] ? rwhy.text : strerror(-e));
	/* the exact last numbers of its states, read with no policy left:
	 * written with the next write of the file (a reinstall's, the
	 * timer's or the stop's); until then the higher record stands */
	else if (r->place == PLACE_KERNEL && kseq_settle(d->seq, g, last) < 0)
		log_warn("group %s: sequence numbers not settled (out of memory)", g->name);
	rt_set_state(r, RT_PENDING, "%s", why);
	log_info("group %s removed (%s)", g->name, why);
}

/* The staged groups did not go live: take them back, refuse them. */
static void commit_failed(struct daemon *d, struct pass *p, const struct reason *why)
{
	struct reason again = { "" };

	for (size_t i = 0; i < p->nstaged; i++) {
		const struct sadb_group *g = p->staged[i];
		struct rt_group *r = reconcile_rt(d, g);

		d->dpops->unstage(d->dp, g->name);
		rt_set_state(r, RT_REFUSED, "the userspace datapath could not take it: %s",
			     why->text);
		log_err("group %s refused: %s", g->name, r->why.text);
	}
	p->nstaged = 0;
	/* the removals staged before still go */
	if (d->dpops->commit(d->dp, &again) < 0)
		log_err("userspace datapath: removing groups: %s", again.text);
}

/* The nftables table follows the installed userspace inbound groups. */
static void sync_filter(struct daemon *d)
{
	const struct sadb_group **in = calloc(d->db->ngroup + 1, sizeof(*in));
	struct reason why = { "" };
	size_t n = 0;
	int e;

	if (!in) {
		log_err("nftables: out of memory; the table stays as it was");
		return;
	}
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *g = d->db->group[i];
		const struct rt_group *r = reconcile_rt(d, g);

		if (r->state == RT_INSTALLED && r->place == PLACE_USERSPACE && sadb_inbound(g))
			in[n++] = g;
	}
	e = d->ops->filter_set(d->kern, in, n, &why);
	if (e < 0)
		log_err("nftables: cleartext of %zu userspace inbound group(s) not dropped: %s", n,
			why.text[0] ? why.text : strerror(-e));
	else
		d->filter_dirty = false;
	free(in);
}

/* End of a pass: one commit for everything staged, then routes. */
static void finish_pass(struct daemon *d, struct pass *p)
{
	struct reason why = { "" };
	int e;

	if (d->dp && (p->nstaged || d->dp_dirty)) {
		e = d->dpops->commit(d->dp, &why);
		if (e < 0) {
			if (!why.text[0])
				reason_set(&why, "%s", strerror(-e));
			commit_failed(d, p, &why);
		}
		d->dp_dirty = false;
	}
	for (size_t i = 0; i < p->nstaged; i++) {
		const struct sadb_group *g = p->staged[i];

		log_info("group %s installed in the userspace datapath (%s, inner MTU %u)", g->name,
			 sadb_dir_name(g->dir), p->mtu[i]);
		add_routes(d, g, p->mtu[i]);
	}
	if (d->filter_dirty)
		sync_filter(d);
}

void reconcile_install_pending(struct daemon *d)
{
	struct pass p = { .nstaged = 0 };

	p.staged = calloc(d->db->ngroup + 1, sizeof(*p.staged));
	p.mtu = calloc(d->db->ngroup + 1, sizeof(*p.mtu));
	if (!p.staged || !p.mtu) {
		log_err("installing groups: out of memory; they stay pending");
		goto out;
	}
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct rt_group *r = d->rt->group[i];

		if (r->state == RT_INSTALLED)
			p.installed[r->place]++;
	}
	for (size_t i = 0; i < d->db->ngroup; i++)
		install_group(d, d->db->group[i], &p);
	finish_pass(d, &p);
out:
	free(p.staged);
	free(p.mtu);
}

/* ---- the model ---- */

/*
 * The model of @c.  Runtime objects that no longer fit (an address came,
 * the config now holds a colliding group, ...) are left out of @c, each
 * logged with its error and named in @unfit (when not NULL): they must
 * never keep the config's groups from running, nor the daemon from
 * starting.  Errors of the config's own sections go to @errs (NULL
 * returned).
 */
#define BUILD_ROUNDS 8
static struct sadb *build_fit(struct daemon *d, struct cfg *c, struct cfg_errors *errs,
			      struct strbuf *unfit)
{
	struct strbuf names = STRBUF_INIT;
	struct sadb *db = NULL;

	for (int round = 0; !db; round++) {
		struct cfg_errors e = { 0 };
		struct sadb_lines bad = { NULL, 0 };
		int r;

		db = sadb_build_lines(c, d->ops->is_local, d->kern, &e, &bad);
		r = db || round == BUILD_ROUNDS ? 0 : klips_rt_unfit(c, &bad, &names);
		if (!db && r > 0) {
			for (size_t i = 0; i < e.n; i++) {
				if (d->txn_unfit_msgs)
					strbuf_printf(d->txn_unfit_msgs, "%s\n", e.msg[i]);
				else
					log_warn("left out (the objects stay in state-dir/runtime): "
						 "%s", e.msg[i]);
			}
		} else if (!db) {
			/* the config's own errors (or no memory) */
			for (size_t i = 0; i < e.n; i++)
				cfg_errors_add(errs, NULL, 0, "%s", e.msg[i]);
			free(bad.line);
			cfg_errors_free(&e);
			strbuf_free(&names);
			return NULL;
		}
		free(bad.line);
		cfg_errors_free(&e);
	}
	if (unfit && names.s)
		strbuf_add(unfit, names.s, names.len);
	strbuf_free(&names);
	return db;
}

static struct sadb *build_db(struct daemon *d, struct cfg *c, struct cfg_errors *errs)
{
	struct strbuf names = STRBUF_INIT;
	struct sadb *db = build_fit(d, c, errs, d->txn_unfit ? d->txn_unfit : &names);
	char *path = NULL;
	int r;

	if (db && !d->txn_unfit) { /* the running model's, once applied */
		strbuf_free(&d->unfit);
		d->unfit = names;
	} else {
		strbuf_free(&names);
	}
	if (!db)
		return NULL;
	mkdir_p(c->state_dir, 0755, 1); /* a failure shows as the file's */
	if (asprintf(&path, "%s/reqids", c->state_dir) < 0)
		path = NULL;
	r = reqid_assign(db, path, d->ops->reqid_base, d->ops->reqid_count);
	if (r < 0)
		log_warn("reqid state file %s: %s (reqids may change on restart)", path ? path : "?",
			 strerror(-r));
	free(path);
	return db;
}

/*
 * Apply @ndb (built from @ncfg) as a difference.  An unchanged group keeps
 * its runtime object: installed, it stays as it is (no netlink message);
 * refused, it stays so unless @retry_refused (a reload is the way to have
 * it tried again); otherwise it is tried again.  Changed and removed groups
 * are removed from the kernel first, then new and changed ones installed.
 * The view follows the new file's order.  @cause says why a group goes
 * (logged): NULL for a reload ("changed in the config" or "removed from
 * the config"), else the one reason of every group it removes (a local
 * address came or went).  On success d->cfg is @ncfg (the
 * caller frees the old one, after this freed the old sadb that borrowed
 * from it).  Return: 0, or -ENOMEM (nothing changed; @ndb is the caller's).
 */
static int apply(struct daemon *d, struct sadb *ndb, struct cfg *ncfg, bool retry_refused,
		 const char *cause)
{
	struct sadb *odb = d->db;
	struct runtime *ort = d->rt, *nrt;
	size_t i, kept = 0;

	nrt = rt_handover(ort, odb, ndb, &kept);
	if (!nrt)
		return -ENOMEM;
	for (i = 0; i < ndb->ngroup; i++) {
		struct rt_group *r = nrt->group[i];

		if (r->state != RT_INSTALLED && (retry_refused || r->state != RT_REFUSED))
			rt_reset(r, ndb->group[i]);
	}
	for (i = 0; i < odb->ngroup; i++) {
		const struct sadb_group *og = odb->group[i];
		const char *why = cause;

		if (!ort->group[i])
			continue;
		if (!why)
			why = sadb_find_group(ndb, og->name) ? "changed in the config"
							     : "removed from the config";
		uninstall_group(d, og, ort->group[i], why);
	}
	log_debug("%zu of %zu group(s) unchanged", kept, ndb->ngroup);
	d->db = ndb;
	d->rt = nrt;
	d->cfg = ncfg;
	rt_free(ort);
	sadb_free(odb);
	reconcile_install_pending(d);
	return 0;
}

static void log_errors(const struct cfg_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		log_err("%s", e->msg[i]);
}

int reconcile_start(struct daemon *d, struct cfg_errors *errs)
{
	struct xfrm_owner o = owner(d);
	struct reason why = { "" };
	int r;

	/* d->cfg is the file's at first: add the KLIPS commands' objects */
	d->file = d->cfg;
	d->cfg = NULL;
	klipsrt_load(d);
	d->cfg = klipsrt_merge(d, d->file);
	if (!d->cfg)
		return -ENOMEM;
	d->db = build_db(d, d->cfg, errs);
	if (!d->db)
		return -EINVAL;
	d->rt = rt_new(d->db);
	if (!d->rt)
		return -ENOMEM;
	if (!d->seq && seqstore_open(&d->seq, d->cfg->state_dir, &why) < 0)
		log_err("sequence numbers: %s; outbound ESP/AH groups will not be installed "
			"(a file that does not parse is never reset: repair or remove it, "
			"and rekey)", why.text);
	/* what an earlier run's states sent, before adopt keeps or deletes them */
	reconcile_record_seq(d, true);
	r = d->ops->adopt(d->kern, d->db, &o);
	if (r < 0)
		log_warn("reading the kernel's SAD/SPD at start: %s", strerror(-r));
	else if (r > 0)
		log_info("adopted %d group(s) left in the kernel by an earlier run", r);
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *g = d->db->group[i];

		if (reconcile_rt(d, g)->state == RT_INSTALLED)
			add_routes(d, g, 0);
	}
	return 0;
}

/* Replace *@dst by a copy of @src.  0 or -ENOMEM (*@dst unchanged). */
static int keep_string(char **dst, const char *src)
{
	char *c = strdup(src);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* Paths, route and datapath settings stay as running until a restart (the
 * state dir holds our reqids and shunt record: it must not move under us;
 * the TUN device, its sockets' mark and the rule that tests it are made
 * once). */
static int keep_running_settings(struct cfg *ncfg, const struct cfg *ocfg)
{
	if (strcmp(ncfg->mount, ocfg->mount) || strcmp(ncfg->control, ocfg->control) ||
	    strcmp(ncfg->state_dir, ocfg->state_dir))
		log_warn("reload: mount, control and state-dir change only on restart");
	if (ncfg->route_table != ocfg->route_table || ncfg->install_routes != ocfg->install_routes)
		log_warn("reload: route settings change only on restart");
	if (strcmp(ncfg->tun_device, ocfg->tun_device) || ncfg->fwmark != ocfg->fwmark ||
	    ncfg->fwmask != ocfg->fwmask || ncfg->dp_batch != ocfg->dp_batch)
		log_warn("reload: tun-device, fwmark and dp-batch change only on restart");
	if (keep_string(&ncfg->mount, ocfg->mount) < 0 ||
	    keep_string(&ncfg->control, ocfg->control) < 0 ||
	    keep_string(&ncfg->state_dir, ocfg->state_dir) < 0 ||
	    keep_string(&ncfg->tun_device, ocfg->tun_device) < 0)
		return -ENOMEM;
	ncfg->route_table = ocfg->route_table;
	ncfg->install_routes = ocfg->install_routes;
	ncfg->fwmark = ocfg->fwmark;
	ncfg->fwmask = ocfg->fwmask;
	ncfg->dp_batch = ocfg->dp_batch;
	return 0;
}

static void set_control_group(struct daemon *d, const struct cfg *c)
{
	gid_t gid = (gid_t)-1;

	if (!d->ctl)
		return;
	if (c->control_group) {
		struct group *gr = getgrnam(c->control_group);

		if (gr)
			gid = gr->gr_gid;
		else
			log_warn("control-group %s: no such group", c->control_group);
	}
	ctl_set_group(d->ctl, gid);
}

int reconcile_reload(struct daemon *d, struct cfg_errors *errs)
{
	struct cfg *ocfg = d->cfg, *nfile, *ncfg = NULL;
	struct sadb *ndb = NULL;
	int r = -EINVAL;

	nfile = cfg_load(d->cfg_path, true, errs);
	if (!nfile)
		goto bad;
	if (!d->dp)
		d->dp_tried = false; /* a failed engine start is tried again */
	r = -ENOMEM;
	if (keep_running_settings(nfile, ocfg) < 0)
		goto bad;
	/* a runtime file refused at start may be repaired now; what the new
	 * file defines or groups itself leaves the runtime objects */
	if (d->krt_locked)
		klipsrt_load(d);
	if (klipsrt_reload(d, nfile) < 0 || !(ncfg = klipsrt_merge(d, nfile)))
		goto bad;
	r = -EINVAL;
	ndb = build_db(d, ncfg, errs);
	if (!ndb)
		goto bad;
	set_control_group(d, ncfg);
	r = apply(d, ndb, ncfg, true, NULL);
	if (r < 0)
		goto bad;
	cfg_free(ocfg);
	cfg_free(d->file);
	d->file = nfile;
	reconcile_publish(d);
	log_notice("reloaded %s", d->cfg_path);
	return 0;
bad:
	if (r == -ENOMEM) {
		log_err("reload: out of memory; the running config stays");
	} else {
		log_err("reload: %s has errors; the running config stays:", d->cfg_path);
		log_errors(errs);
	}
	sadb_free(ndb);
	cfg_free(ncfg);
	cfg_free(nfile);
	return r;
}

void reconcile_addresses(struct daemon *d)
{
	struct cfg_errors errs = { 0 };
	/* again: which runtime groups are inbound twins follows the addresses */
	struct cfg *ocfg = d->cfg, *ncfg = klipsrt_merge(d, d->file);
	struct sadb *ndb = ncfg ? build_db(d, ncfg, &errs) : NULL;

	if (!ncfg) {
		log_err("addresses changed: out of memory; the running model stays");
	} else if (!ndb) {
		log_warn("addresses changed, and the config no longer fits them:");
		log_errors(&errs);
		cfg_free(ncfg);
	} else if (apply(d, ndb, ncfg, false, "a local address changed") < 0) {
		log_err("addresses changed: out of memory; the running model stays");
		sadb_free(ndb);
		cfg_free(ncfg);
	} else {
		cfg_free(ocfg);
		reconcile_publish(d);
	}
	cfg_errors_free(&errs);
}

struct sadb *reconcile_build(struct daemon *d, struct cfg *c, struct cfg_errors *errs)
{
	return build_db(d, c, errs);
}

/* Was @g (of the new model) made or changed by this pass: no group of
 * @odb has its name with the same kernel objects? */
static bool touched(const struct sadb *odb, const struct sadb_group *g)
{
	const struct sadb_group *og = sadb_find_group(odb, g->name);

	return !og || !sadb_group_equal(og, g);
}

int reconcile_runtime(struct daemon *d, struct sadb *ndb, struct cfg *ncfg, const char *cause,
		      struct strbuf *out)
{
	struct sadb *odb = d->db;
	bool *t = calloc(ndb->ngroup + 1, sizeof(*t));
	int r = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < ndb->ngroup; i++)
		t[i] = touched(odb, ndb->group[i]);
	if (apply(d, ndb, ncfg, false, cause) < 0) {
		free(t);
		return -ENOMEM;
	}
	/* odb is freed: d->db is ndb now */
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *g = d->db->group[i];
		const struct rt_group *rg = reconcile_rt(d, g);

		if (!t[i])
			continue;
		if (rg->state == RT_REFUSED) {
			strbuf_printf(out, "group %s: refused: %s\n", g->name, rg->why.text);
			r = rg->probe_err < 0 ? rg->probe_err : -EIO;
		} else if (rg->state == RT_SKIPPED) {
			strbuf_printf(out, "group %s: not installed: %s\n", g->name, rg->why.text);
		}
	}
	free(t);
	return r;
}

void reconcile_events(struct daemon *d)
{
	struct xfrm_owner o = owner(d);
	int r = d->ops->events(d->kern, d->db, &o);

	if (r < 0)
		log_warn("reading XFRM events: %s", strerror(-r));
	else if (r > 0)
		reconcile_publish(d);
}

/* A userspace SA's counters, from its live object. */
static void live_counters(const struct sa_live *l, struct sa_counters *c)
{
	c->bytes = atomic_load_explicit(&l->bytes, memory_order_relaxed);
	c->packets = atomic_load_explicit(&l->packets, memory_order_relaxed);
	c->integrity_errs =
		(uint32_t)atomic_load_explicit(&l->drop[DP_DROP_ICV], memory_order_relaxed);
	c->replay_errs =
		(uint32_t)atomic_load_explicit(&l->drop[DP_DROP_REPLAY], memory_order_relaxed);
	c->replay_window_errs = 0;
}

void reconcile_read_counters(struct daemon *d)
{
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *g = d->db->group[i];
		struct rt_group *r = reconcile_rt(d, g);
		struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];

		if (r->state != RT_INSTALLED)
			continue;
		if (r->place == PLACE_USERSPACE) {
			for (unsigned k = 0; k < g->nsa; k++)
				if (r->sa[k]->live)
					live_counters(r->sa[k]->live, &r->sa[k]->ctr);
			continue;
		}
		read_counters(d, g, r, ctr);
		for (unsigned k = 0; k < g->nsa; k++)
			r->sa[k]->ctr = ctr[k];
	}
}

void reconcile_seq_tick(struct daemon *d)
{
	struct reason why = { "" };
	int e;

	if (!d->dp)
		return;
	e = d->dpops->seq_tick(d->dp, &why);
	if (e < 0 && !d->seq_failing)
		log_err("outbound sequence numbers: %s (SAs stop sending at their limit until "
			"this succeeds)", why.text[0] ? why.text : strerror(-e));
	else if (e >= 0 && d->seq_failing)
		log_notice("outbound sequence numbers: reserving again");
	d->seq_failing = e < 0;
}

void reconcile_record_seq(struct daemon *d, bool all)
{
	struct reason why = { "" };
	int e = 0, r;

	if (!d->seq || !d->db || !d->rt)
		return;
	for (size_t i = 0; i < d->db->ngroup; i++) {
		r = note_seq(d, d->db->group[i], d->rt->group[i], all);
		if (r < 0 && !e)
			e = r;
	}
	if (e < 0)
		log_err("sequence numbers: recording: %s", strerror(-e));
	if (seqstore_sync(d->seq, &why) < 0)
		log_err("sequence numbers not recorded: %s", why.text);
}

void reconcile_stop(struct daemon *d)
{
	struct reason why = { "" };

	if (!d->db || !d->rt)
		return;
	reconcile_record_seq(d, false);
	if (d->cfg->keep_on_exit) {
		log_notice("keep-on-exit: leaving our XFRM objects, routes and nftables table in "
			   "the kernel (the userspace datapath stops with the daemon)");
		return;
	}
	for (size_t i = d->db->ngroup; i-- > 0;)
		uninstall_group(d, d->db->group[i], d->rt->group[i], "daemon stopping");
	d->ops->route_cleanup(d->kern);
	if (d->seq && seqstore_sync(d->seq, &why) < 0)
		log_err("sequence numbers not recorded: %s", why.text);
	d->ops->filter_remove(d->kern);
}

/* Hand @b's text to the view as file @name (a pe_view_publish() name);
 * keep the snapshot in *@keep (may be NULL).  -ENOMEM: the old one stays. */
static int publish_text(struct daemon *d, const char *name, struct strbuf *b, int r,
			struct snap **keep)
{
	struct snap *s = NULL;
	size_t len;
	char *text;

	if (r >= 0 && (text = strbuf_take(b, &len)))
		s = snap_new(text, len, 0, NULL);
	strbuf_free(b);
	if (!s) {
		log_err("view: out of memory rendering %s; keeping the old one", name);
		return -ENOMEM;
	}
	if (keep) {
		snap_put(*keep);
		*keep = snap_get(s);
	}
	if (d->view)
		pe_view_publish(d->view, name, s);
	else
		snap_put(s);
	return 0;
}

/* The foreign part of the view: every XFRM state and policy of the
 * namespace that is not ours, as groups, SAs and eroutes (the kernel
 * mirror's derivation, kderive.h), after our part. */
static int view_add_foreign(struct daemon *d, struct kview *v)
{
	size_t sa_from = v->nsa, grp_from = v->ngrp;
	int r;

	if (!d->ops->foreign_view)
		return 0;
	r = d->ops->foreign_view(d->kern, v);
	if (r >= 0) /* names from set-label (strongSwan's updown hook) */
		labels_fill(&d->labels, v, sa_from, grp_from);
	return r;
}

int reconcile_view_stale(const struct daemon *d)
{
	uint64_t o, c;

	if (!d->ops->view_gen)
		return 0;
	d->ops->view_gen(d->kern, &o, &c);
	if (o != d->view_objects)
		return RECONCILE_VIEW_OBJECTS;
	return c != d->view_counters ? RECONCILE_VIEW_COUNTERS : 0;
}

/* The MTU of network device @name (SIOCGIFMTU), 0 when it cannot be read. */
static uint32_t dev_mtu(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r < 0 || ifr.ifr_mtu < 0 ? 0 : (uint32_t)ifr.ifr_mtu;
}

/* The userspace datapath's TUN device, as ipsec_tncfg shows it. */
static size_t view_tunifs(struct daemon *d, struct render_tunif *t)
{
	if (!d->dp)
		return 0;
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", d->cfg->tun_device);
	t->mtu = t->priv_mtu = dev_mtu(t->name);
	return 1;
}

/* The files one line per SA or policy: rendered when a reader opens them
 * (pe_view_invalidate()), from the model and the mirror as they are then. */
enum { VIEW_ON_DEMAND = 2 };
static const char *const view_on_demand[VIEW_ON_DEMAND] = { "ipsec_spi", "ipsec_eroute" };

/* Drop the on-demand files: their next open asks for a new rendering. */
static void view_invalidate(struct daemon *d)
{
	if (!d->view)
		return;
	for (size_t i = 0; i < VIEW_ON_DEMAND; i++)
		pe_view_invalidate(d->view, view_on_demand[i]);
}

/* Keep @kv, the foreign part of the latest derivation, as d->view_foreign
 * (its arrays are taken over; @kv is left empty) while readers of the
 * on-demand files come: their renderings then take it instead of deriving
 * again, so that a reader in a loop costs one derivation per publication
 * (and one per counters' reading).  Without readers in the last
 * VIEW_KEEP_MS, nothing is kept (false: @kv stays the caller's): it would
 * be memory nobody reads. */
#define VIEW_KEEP_MS (2 * RECONCILE_COUNTERS_AGE_MS)
static bool view_keep(struct daemon *d, struct kview *kv, uint64_t counters)
{
	if (!d->view_read_ms || loop_now_ms() - d->view_read_ms >= VIEW_KEEP_MS ||
	    !(d->view_foreign = calloc(1, sizeof(*d->view_foreign))))
		return false;
	*d->view_foreign = *kv;
	memset(kv, 0, sizeof(*kv));
	d->view_foreign_counters = counters;
	return true;
}

/* Forget the kept derivation (before a new one is made: never two at
 * once). */
static void view_drop(struct daemon *d)
{
	kview_clear(d->view_foreign);
	free(d->view_foreign);
	d->view_foreign = NULL;
}

void reconcile_publish(struct daemon *d)
{
	enum cfg_said_format fmt = d->cfg->said_format;
	struct strbuf b = STRBUF_INIT;
	struct kview kv = { 0 };
	struct render_tunif tun;
	size_t ntun;
	int r;

	d->gen++;
	if (d->ops->view_gen)
		d->ops->view_gen(d->kern, &d->view_objects, &d->view_counters);
	view_invalidate(d);
	view_drop(d);
	r = view_add_foreign(d, &kv);
	if (r < 0) {
		log_err("view: out of memory collecting the SAs; keeping the old view");
		kview_clear(&kv);
		return;
	}
	/* ours from the model (render_spigrp()), then the foreign groups */
	r = render_spigrp(d->db, d->rt, fmt, &b);
	if (r >= 0)
		r = render_spigrp_kview(&kv, fmt, &b);
	publish_text(d, "ipsec_spigrp", &b, r, &d->view_snap);
	if (!view_keep(d, &kv, d->view_counters))
		kview_clear(&kv);
	ntun = view_tunifs(d, &tun);
	r = render_tncfg(&tun, ntun, &b);
	publish_text(d, "ipsec_tncfg", &b, r, NULL);
}

void reconcile_view_counters(struct daemon *d)
{
	uint64_t o;

	if (d->ops->view_gen)
		d->ops->view_gen(d->kern, &o, &d->view_counters);
	view_invalidate(d);
}

/* The foreign part for the on-demand files: the kept derivation when its
 * counters are the mirror's, else a new one: kept, or in @tmp (the caller
 * clears it).  NULL: no memory. */
static const struct kview *view_foreign(struct daemon *d, struct kview *tmp)
{
	uint64_t o = 0, c = 0;

	if (d->ops->view_gen)
		d->ops->view_gen(d->kern, &o, &c);
	if (d->view_foreign && d->view_foreign_counters == c)
		return d->view_foreign;
	view_drop(d);
	if (view_add_foreign(d, tmp) < 0) {
		kview_clear(tmp);
		return NULL;
	}
	return view_keep(d, tmp, c) ? d->view_foreign : tmp;
}

/* Append the on-demand files @want names (indices of view_on_demand[])
 * of the SAs and eroutes of @v to @b[].  0 or -ENOMEM. */
static int view_render_part(const struct kview *v, const bool *want, uint64_t now,
			    enum cfg_said_format fmt, struct strbuf *b)
{
	int r = 0;

	if (want[0])
		r = render_spi(v, fmt, now, &b[0]);
	if (r >= 0 && want[1])
		r = render_eroute(v, fmt, &b[1]);
	return r;
}

/* Render and publish the on-demand files @want names: ours first, from the
 * model, VIEW_OWN_PART groups at a time (at 100,000 groups their kview
 * records would cost 150 MB at once), then the foreign ones (the kept
 * derivation, view_foreign()).  Out of memory, empty files (readers wait
 * for one). */
#define VIEW_OWN_PART 256
static int view_render_texts(struct daemon *d, const bool *want, struct strbuf *b)
{
	enum cfg_said_format fmt = d->cfg->said_format;
	uint64_t now = (uint64_t)time(NULL);
	const struct kview *foreign;
	struct kview own = { 0 }, tmp = { 0 };
	struct kview_own_iter it;
	int r, more = 1;

	r = kview_own_begin(&it, d->db, d->rt);
	while (r >= 0 && more > 0) {
		kview_reset(&own);
		more = r = kview_own_next(&it, &own, VIEW_OWN_PART);
		if (r >= 0)
			r = view_render_part(&own, want, now, fmt, b);
	}
	kview_own_end(&it);
	kview_clear(&own);
	foreign = r >= 0 ? view_foreign(d, &tmp) : NULL;
	if (foreign)
		r = view_render_part(foreign, want, now, fmt, b);
	else
		r = -ENOMEM;
	kview_clear(&tmp);
	return r;
}

static void view_render(struct daemon *d, const bool *want)
{
	struct strbuf b[VIEW_ON_DEMAND] = { STRBUF_INIT, STRBUF_INIT };
	int r = view_render_texts(d, want, b);

	for (size_t i = 0; i < VIEW_ON_DEMAND; i++) {
		if (!want[i])
			continue;
		if (r < 0) {
			log_err("view: out of memory rendering %s: an empty one", view_on_demand[i]);
			strbuf_free(&b[i]);
		}
		publish_text(d, view_on_demand[i], &b[i], 0, NULL);
	}
}

int reconcile_view_text(struct daemon *d, const char *name, struct strbuf *out)
{
	struct strbuf b[VIEW_ON_DEMAND] = { STRBUF_INIT, STRBUF_INIT };
	bool want[VIEW_ON_DEMAND] = { false };
	size_t i;
	int r;

	if (!strcmp(name, "ipsec_spigrp")) {
		/* published at once when the view is idle (view_schedule()) */
		if (d->view_snap)
			strbuf_add(out, snap_data(d->view_snap), snap_len(d->view_snap));
		return out->oom ? -ENOMEM : 0;
	}
	for (i = 0; i < VIEW_ON_DEMAND && strcmp(view_on_demand[i], name); i++)
		;
	if (i == VIEW_ON_DEMAND)
		return -ENOENT;
	want[i] = true;
	r = view_render_texts(d, want, b);
	if (r >= 0 && b[i].s)
		strbuf_add(out, b[i].s, b[i].len);
	for (size_t j = 0; j < VIEW_ON_DEMAND; j++)
		strbuf_free(&b[j]);
	return r < 0 ? r : out->oom ? -ENOMEM : 0;
}

void reconcile_view_refresh(struct daemon *d)
{
	bool want[VIEW_ON_DEMAND], any = false;
	int64_t now = loop_now_ms();
	uint64_t o;
	int r;

	if (!d->view)
		return;
	for (size_t i = 0; i < VIEW_ON_DEMAND; i++)
		any |= want[i] = pe_view_wanted(d->view, view_on_demand[i]);
	if (!any)
		return;
	if (now - d->view_read_ms >= RECONCILE_COUNTERS_AGE_MS) {
		reconcile_read_counters(d);
		if (d->ops->view_refresh && (r = d->ops->view_refresh(d->kern)) < 0)
			log_warn("view: reading the kernel's SAs: %s", strerror(-r));
		d->view_read_ms = loop_now_ms();
		if (d->ops->view_gen) /* the rendering below shows these counters */
			d->ops->view_gen(d->kern, &o, &d->view_counters);
	}
	view_render(d, want);
}
