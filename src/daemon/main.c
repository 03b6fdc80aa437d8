/* spigrpd.c: the daemon.  Reads the config into the sadb model, places and
 * installs every group (kernel XFRM), serves the KLIPS view through FUSE and
 * the control socket, and applies config reloads and kernel events as
 * differences.  Owns the one struct daemon; the sadb is changed only here,
 * in the main thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "addrmon.h"
#include "cfg.h"
#include "commands.h"
#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "render.h"
#include "route.h"
#include "sadb.h"
#include "said.h"
#include "status.h"
#include "strbuf.h"
#include "view.h"
#include "xfrm.h"

#define DEFAULT_CONFIG SYSCONFDIR "/spigrpd.conf"
#define MAX_LOCAL 64

/* --local addresses for -n: decide directions as if these were ours. */
static struct ip_addr local_addr[MAX_LOCAL];
static unsigned nlocal;

static bool local_list_is_local(const struct ip_addr *a, void *arg)
{
	for (unsigned i = 0; i < nlocal; i++)
		if (ip_addr_equal(&local_addr[i], a))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: spigrpd [-f] [-c FILE] [-d]\n"
		"       spigrpd -n [-c FILE] [--local ADDR]...\n"
		"Programs the KLIPS-style SA groups of FILE into the kernel's XFRM and\n"
		"serves the ipsec_spigrp view through FUSE.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"  -n, --check         parse and validate FILE, print the canonical\n"
		"                      config with each SA's direction on this host\n"
		"                      (keys hidden), exit 0 if valid, 1 if not\n"
		"  -l, --local ADDR    with -n: treat ADDR as an address of this host\n"
		"                      instead of asking the kernel (repeatable)\n"
		"  -d, --debug         log debug messages too\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Signals: SIGHUP reloads FILE (only differences are applied; a config\n"
		"with errors is rejected and the old one keeps running); SIGTERM and\n"
		"SIGINT stop cleanly, removing our XFRM objects unless keep-on-exit.\n"
		"See spigrpd(8), spigrpd.conf(5), ipsec_spigrp(5).\n",
		DEFAULT_CONFIG);
}

static void log_errors(const struct cfg_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		log_err("%s", e->msg[i]);
}

static void make_dirs(const char *path, bool include_last)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	if (include_last)
		mkdir(buf, 0755);
}

/* ---- the view ---- */

static void publish_view(struct daemon *d)
{
	struct render_buf b = { 0 };

	d->gen++; /* every change of the groups' state ends here */
	if (!d->view)
		return;
	if (render_spigrp(d->db, d->cfg->said_format, &b) < 0) {
		log_err("view: out of memory rendering ipsec_spigrp; keeping the old one");
		render_buf_free(&b);
		return;
	}
	pe_view_publish(d->view, "ipsec_spigrp", b.data, b.len);
}

static void publish_version(struct daemon *d)
{
	struct render_buf b = { 0 };

	if (render_version(&b) == 0)
		pe_view_publish(d->view, "ipsec_version", b.data, b.len);
	else
		render_buf_free(&b);
}

/* ---- placing and installing groups ---- */

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

/* Decide kernel or userspace for a PENDING group with want == AUTO. */
static void place_group(struct daemon *d, struct sadb_group *g)
{
	struct reason why = { "" };
	const char *reason = why.text;
	int r;

	if (g->want != CFG_DP_AUTO)
		return;
	if (g->place == SADB_PLACE_USERSPACE)
		return; /* sadb decided: XFRM cannot express it */
	r = xfrm_probe_group(d->xfrm, g, &why);
	if (r == 0) {
		g->place = SADB_PLACE_KERNEL;
		snprintf(g->place_reason, sizeof(g->place_reason), "the kernel accepts every transform");
	} else {
		g->place = SADB_PLACE_USERSPACE;
		snprintf(g->place_reason, sizeof(g->place_reason), "kernel probe: %s",
			 reason[0] ? reason : strerror(-r));
	}
}

/* Routes for @g when it has any (route_wanted()); a failure is logged and
 * leaves the group installed. */
static void group_routes(struct daemon *d, struct sadb_group *g)
{
	struct reason why = { "" };

	if (route_wanted(d->route, g, g->state == SADB_INSTALLED && g->place == SADB_PLACE_KERNEL) &&
	    route_install_group(d->route, g, &why) < 0)
		log_warn("group %s: routes not installed: %s", g->name, why.text);
}

static void install_group(struct daemon *d, struct sadb_group *g)
{
	struct reason why = { "" };
	const char *reason = why.text;
	char s0[SAID_BUF];
	int r;

	if (g->state == SADB_SKIPPED) {
		log_notice("group %s skipped: %s", g->name, g->state_reason);
		return;
	}
	if (g->state != SADB_PENDING)
		return;
	if (g->dir == SADB_DIR_NONE) {
		sadb_set_state(g, SADB_SKIPPED, "neither end of its SAs is a local address");
		log_notice("group %s skipped: %s", g->name, g->state_reason);
		return;
	}
	place_group(d, g);
	if (g->place == SADB_PLACE_USERSPACE) {
		sadb_set_state(g, SADB_SKIPPED,
			       "placed in userspace (%s); this release has no userspace datapath",
			       g->place_reason);
		log_warn("group %s not installed: %s", g->name, g->state_reason);
		return;
	}
	r = xfrm_install_group(d->xfrm, g, &why);
	if (r < 0) {
		const char *ename = strerrorname_np(-r);

		sadb_set_state(g, SADB_REFUSED, "kernel refused it (%s): %s", ename ? ename : "?",
			       reason[0] ? reason : strerror(-r));
		log_err("group %s (%s...) refused by the kernel (%s): %s", g->name,
			group_said0(g, s0, sizeof(s0)), ename ? ename : "?",
			reason[0] ? reason : strerror(-r));
		return;
	}
	sadb_set_state(g, SADB_INSTALLED, "installed");
	log_info("group %s installed (reqid 0x%08x, %s)", g->name, g->reqid,
		 sadb_dir_name(g->dir));
	group_routes(d, g);
}

static void uninstall_group(struct daemon *d, struct sadb_group *g, const char *why)
{
	struct reason r_why;
	int r;

	if (g->state != SADB_INSTALLED)
		return;
	route_remove_group(d->route, g);
	r = xfrm_remove_group(d->xfrm, g, &r_why);
	if (r < 0)
		log_warn("group %s: removing it from the kernel: %s", g->name, r_why.text);
	sadb_set_state(g, SADB_PENDING, "%s", why);
	log_info("group %s removed (%s)", g->name, why);
}

/* ---- runtime state, as xfrm.c asks for it and reports it ---- */

static bool owner_wants_kernel(void *arg, const struct sadb_group *g)
{
	(void)arg;
	return g->place == SADB_PLACE_KERNEL && g->state != SADB_SKIPPED;
}

static bool owner_installed(void *arg, const struct sadb_group *g)
{
	(void)arg;
	return g->state == SADB_INSTALLED;
}

static void owner_adopted(void *arg, const struct sadb_group *g)
{
	(void)arg;
	sadb_set_state((struct sadb_group *)g, SADB_INSTALLED, "adopted");
	log_info("group %s: adopted (its objects were left in the kernel)", g->name);
}

static void owner_lost(void *arg, const struct sadb_group *g, const struct reason *why)
{
	(void)arg;
	log_warn("group %s: %s; removed the rest of it", g->name, why->text);
	sadb_set_state((struct sadb_group *)g, SADB_LOST, "%s", why->text);
}

static void install_pending(struct daemon *d)
{
	for (size_t i = 0; i < d->db->ngroup; i++)
		install_group(d, d->db->group[i]);
}

/* ---- config (re)load ---- */

static char *reqid_path(const struct cfg *c)
{
	char *p = NULL;

	if (asprintf(&p, "%s/reqids", c->state_dir) < 0)
		return NULL;
	return p;
}

static struct sadb *build_db(struct cfg *c, struct addrmon *am, struct cfg_errors *errs)
{
	struct sadb *db = sadb_build(c, addrmon_is_local, am, errs);
	char *rp;
	int r;

	if (!db)
		return NULL;
	make_dirs(c->state_dir, true);
	rp = reqid_path(c);
	r = sadb_assign_reqids(db, rp);
	if (r < 0)
		log_warn("reqid state file %s: %s (reqids may change on restart)", rp ? rp : "?",
			 strerror(-r));
	free(rp);
	return db;
}

/*
 * Apply a new model as a difference: a group equal to one already installed
 * (same name, same kernel objects, same reqid, same direction) is carried
 * over without a netlink message, and so is a refused one unless
 * @retry_refused; changed and removed groups are
 * removed first, then new and changed ones installed.  The view follows the new file's order (sadb
 * numbers groups by their place in the file), also for a replaced group.
 */
static void apply_db(struct daemon *d, struct sadb *ndb, struct cfg *ncfg, bool retry_refused)
{
	struct sadb *odb = d->db;
	size_t i;

	for (i = 0; i < odb->ngroup; i++) {
		struct sadb_group *og = odb->group[i];
		struct sadb_group *ng = sadb_find_group(ndb, og->name);

		/* Unchanged installed groups are left alone (no netlink
		 * message); so are refused ones, unless @retry_refused (a
		 * reload is the way to have them tried again). */
		if (ng &&
		    (og->state == SADB_INSTALLED || (!retry_refused && og->state == SADB_REFUSED)) &&
		    og->reqid == ng->reqid && og->dir == ng->dir && sadb_group_equal(og, ng)) {
			ng->state = og->state;
			memcpy(ng->state_reason, og->state_reason, sizeof(ng->state_reason));
			ng->place = og->place;
			memcpy(ng->place_reason, og->place_reason, sizeof(ng->place_reason));
			ng->want = og->want;
			continue;
		}
		uninstall_group(d, og, ng ? "changed in the config" : "removed from the config");
	}
	d->db = ndb;
	d->cfg = ncfg;
	install_pending(d);
	sadb_free(odb);
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

int daemon_reload(struct daemon *d, struct cfg_errors *errs)
{
	struct cfg *ncfg;
	struct sadb *ndb;
	struct cfg *ocfg = d->cfg;

	ncfg = cfg_load(d->cfg_path, true, errs);
	if (!ncfg) {
		log_err("reload: %s has errors; the running config stays:", d->cfg_path);
		log_errors(errs);
		return -EINVAL;
	}
	if (strcmp(ncfg->mount, ocfg->mount) || strcmp(ncfg->control, ocfg->control) ||
	    strcmp(ncfg->state_dir, ocfg->state_dir))
		log_warn("reload: mount, control and state-dir change only on restart");
	if (ncfg->route_table != ocfg->route_table || ncfg->install_routes != ocfg->install_routes)
		log_warn("reload: route settings change only on restart");
	/* paths and route settings stay as running until restart (the state
	 * dir holds our reqids and shunt record: it must not move under us) */
	if (keep_string(&ncfg->mount, ocfg->mount) < 0 ||
	    keep_string(&ncfg->control, ocfg->control) < 0 ||
	    keep_string(&ncfg->state_dir, ocfg->state_dir) < 0) {
		log_err("reload: out of memory; the running config stays");
		cfg_free(ncfg);
		return -ENOMEM;
	}
	ncfg->route_table = ocfg->route_table;
	ncfg->install_routes = ocfg->install_routes;
	ndb = build_db(ncfg, d->am, errs);
	if (!ndb) {
		log_err("reload: %s has errors; the running config stays:", d->cfg_path);
		log_errors(errs);
		cfg_free(ncfg);
		return -EINVAL;
	}
	if (d->ctl) {
		gid_t gid = (gid_t)-1;
		if (ncfg->control_group) {
			struct group *gr = getgrnam(ncfg->control_group);
			if (gr)
				gid = gr->gr_gid;
			else
				log_warn("control-group %s: no such group", ncfg->control_group);
		}
		ctl_set_group(d->ctl, gid);
	}
	apply_db(d, ndb, ncfg, true);
	cfg_free(ocfg);
	publish_view(d);
	log_notice("reloaded %s", d->cfg_path);
	return 0;
}

/* Addresses changed: rebuild with the same config, apply the difference. */
static void reevaluate_addresses(struct daemon *d)
{
	struct cfg_errors errs = { 0 };
	struct cfg *c = d->cfg;
	struct sadb *ndb;

	d->addr_dirty = false;
	ndb = build_db(c, d->am, &errs);
	if (!ndb) {
		log_warn("addresses changed, and the config no longer fits them:");
		log_errors(&errs);
		cfg_errors_free(&errs);
		return;
	}
	cfg_errors_free(&errs);
	apply_db(d, ndb, c, false);
	publish_view(d);
}

/* ---- status answers (status.h) ---- */

static const char *place_name(const struct sadb_group *g)
{
	return g->place == SADB_PLACE_KERNEL ? "kernel" : "userspace";
}

void status_text(const struct daemon *d, struct strbuf *b, bool list_only)
{
	char said[SAID_BUF];

	for (size_t i = 0; i < d->db->ngroup; i++) {
		struct sadb_group *g = d->db->group[i];

		if (list_only) {
			strbuf_printf(b, "%s %s %s %s", g->name, sadb_state_name(g->state),
				  place_name(g), sadb_dir_name(g->dir));
			if (g->shunt) {
				said_format(&g->shunt_said, '0', said, sizeof(said));
				strbuf_printf(b, " %s", said);
			}
			for (unsigned k = 0; k < g->nsa; k++) {
				said_format(&g->sa[k]->cfg->said, '0', said, sizeof(said));
				strbuf_printf(b, " %s", said);
			}
			strbuf_printf(b, "\n");
			continue;
		}
		struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1] = { { 0 } };

		if (g->state == SADB_INSTALLED && g->place == SADB_PLACE_KERNEL)
			xfrm_read_counters(d->xfrm, g, ctr);
		strbuf_printf(b, "group %s%s\n", g->name, g->implicit ? " (SA in no group)" : "");
		if (g->state_reason[0] && strcmp(g->state_reason, sadb_state_name(g->state)))
			strbuf_printf(b, "  state: %s (%s)\n", sadb_state_name(g->state), g->state_reason);
		else
			strbuf_printf(b, "  state: %s\n", sadb_state_name(g->state));
		strbuf_printf(b, "  placement: %s (%s)\n", place_name(g),
			  g->place_reason[0] ? g->place_reason : "configured");
		strbuf_printf(b, "  direction: %s  reqid: 0x%08x\n", sadb_dir_name(g->dir), g->reqid);
		for (unsigned k = 0; k < g->nsa; k++) {
			const struct sadb_sa *sa = g->sa[k];
			said_format(&sa->cfg->said, '0', said, sizeof(said));
			strbuf_printf(b, "  sa %s", said);
			if (sa->cfg->said.proto != SAID_PROTO_TUN)
				strbuf_printf(b, ": bytes %llu packets %llu replay-errors %u "
					  "integrity-errors %u",
					  (unsigned long long)ctr[k].bytes,
					  (unsigned long long)ctr[k].packets,
					  ctr[k].replay_errs + ctr[k].replay_window_errs,
					  ctr[k].integrity_errs);
			strbuf_printf(b, "\n");
		}
	}
}

void status_json(const struct daemon *d, struct strbuf *b)
{
	char said[SAID_BUF];

	strbuf_printf(b, "{\"version\":\"%s\",\"groups\":[", PACKAGE_VERSION);
	for (size_t i = 0; i < d->db->ngroup; i++) {
		struct sadb_group *g = d->db->group[i];
		struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1] = { { 0 } };

		if (g->state == SADB_INSTALLED && g->place == SADB_PLACE_KERNEL)
			xfrm_read_counters(d->xfrm, g, ctr);
		strbuf_printf(b, "%s{\"name\":", i ? "," : "");
		strbuf_json_str(b, g->name);
		strbuf_printf(b, ",\"implicit\":%s,\"state\":\"%s\",\"state_reason\":",
			  g->implicit ? "true" : "false", sadb_state_name(g->state));
		strbuf_json_str(b, g->state_reason);
		strbuf_printf(b, ",\"placement\":\"%s\",\"placement_reason\":", place_name(g));
		strbuf_json_str(b, g->place_reason);
		strbuf_printf(b, ",\"direction\":\"%s\",\"reqid\":%u,\"sas\":[", sadb_dir_name(g->dir),
			  g->reqid);
		if (g->shunt) {
			said_format(&g->shunt_said, '0', said, sizeof(said));
			strbuf_printf(b, "{\"said\":");
			strbuf_json_str(b, said);
			strbuf_printf(b, "}");
		}
		for (unsigned k = 0; k < g->nsa; k++) {
			const struct sadb_sa *sa = g->sa[k];
			said_format(&sa->cfg->said, '0', said, sizeof(said));
			strbuf_printf(b, "%s{\"said\":", k ? "," : "");
			strbuf_json_str(b, said);
			strbuf_printf(b, ",\"bytes\":%llu,\"packets\":%llu,\"replay_errors\":%u,"
				  "\"integrity_errors\":%u}",
				  (unsigned long long)ctr[k].bytes, (unsigned long long)ctr[k].packets,
				  ctr[k].replay_errs + ctr[k].replay_window_errs,
				  ctr[k].integrity_errs);
		}
		strbuf_printf(b, "]}");
	}
	strbuf_printf(b, "]}\n");
}

/* ---- main loop ---- */

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct cfg_errors errs = { 0 };
			log_notice("SIGHUP: reloading %s", d->cfg_path);
			daemon_reload(d, &errs);
			cfg_errors_free(&errs);
		} else {
			log_notice("%s: stopping", strsignal((int)si.ssi_signo));
			d->stop = true;
		}
	}
}

static void run(struct daemon *d)
{
	/* signals, XFRM events, address events, then the control socket's */
	struct pollfd p[3 + CTL_POLLFDS_MAX];
	bool addr_event = false;
	int64_t now, settle = 0; /* ms, monotonic: addresses quiet until then */
	struct timespec ts;

	while (!d->stop) {
		int nc, r, timeout = ctl_timeout_ms(d->ctl);

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		/* address events come in bursts: settle for 200 ms first */
		if (addr_event)
			settle = now + 200;
		addr_event = false;
		if (d->addr_dirty && now >= settle) {
			log_info("local addresses changed: re-evaluating directions");
			reevaluate_addresses(d);
			continue;
		}
		if (d->addr_dirty && (timeout < 0 || settle - now < timeout))
			timeout = (int)(settle - now);
		p[0] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = xfrm_event_fd(d->xfrm), .events = POLLIN };
		p[2] = (struct pollfd){ .fd = addrmon_fd(d->am), .events = POLLIN };
		nc = ctl_pollfds(d->ctl, p + 3, CTL_POLLFDS_MAX);
		r = poll(p, (nfds_t)(3 + nc), timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			handle_signals(d);
		if (p[1].revents && xfrm_process_events(d->xfrm, d->db, &d->owner) > 0)
			publish_view(d);
		if (p[2].revents) {
			r = addrmon_process(d->am);
			if (r < 0)
				log_warn("local addresses: %s (kept as they were)", strerror(-r));
			else if (r > 0)
				addr_event = d->addr_dirty = true;
		}
		/* every round, also after a timeout: it drops late clients */
		ctl_dispatch(d->ctl, p + 3, nc, &daemon_commands, d);
	}
}

static void shutdown_all(struct daemon *d)
{
	if (d->db && d->xfrm) {
		if (d->cfg->keep_on_exit) {
			log_notice("keep-on-exit: leaving our XFRM objects in the kernel");
		} else {
			for (size_t i = d->db->ngroup; i-- > 0;)
				uninstall_group(d, d->db->group[i], "daemon stopping");
			route_remove_all(d->route);
		}
	}
	pe_view_unmount(d->view);
	ctl_close(d->ctl);
	xfrm_close(d->xfrm);
	sadb_free(d->db);
	cfg_free(d->cfg);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	route_close(d->route);
	addrmon_close(d->am);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->state_lock_fd >= 0)
		close(d->state_lock_fd);
}

static int check_only(const char *path)
{
	struct cfg_errors errs = { 0 };
	struct cfg *c;
	struct sadb *db = NULL;
	struct addrmon *am = NULL;
	int ret = 1, r;

	c = cfg_load(path, true, &errs);
	if (c && !nlocal && (r = addrmon_open(&am)) < 0)
		fprintf(stderr, "spigrpd: local addresses: %s (none counts as local)\n", strerror(-r));
	if (c)
		db = sadb_build(c, nlocal ? local_list_is_local : addrmon_is_local, am, &errs);
	if (!db) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		goto out;
	}
	sadb_print_config(db, c, stdout);
	ret = fflush(stdout) ? 1 : 0;
out:
	cfg_errors_free(&errs);
	sadb_free(db);
	cfg_free(c);
	addrmon_close(am);
	return ret;
}

/*
 * Go to the background, but let the parent wait until the daemon is ready
 * (or has failed): it exits 0 only after daemon_ready(), 1 otherwise, so a
 * start from a shell or an init script sees a failed start.  Until then
 * stderr stays the caller's and log messages go there too.
 */
static int ready_fd = -1;

static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	ssize_t n;
	char c = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		do
			n = read(pfd[0], &c, 1);
		while (n < 0 && errno == EINTR);
		/* one byte: ready; EOF: the daemon died during start-up */
		_exit(n == 1 && c == 'R' ? 0 : 1);
	}
	close(pfd[0]);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -errno;
	ready_fd = pfd[1];
	log_also_stderr(true);
	return 0;
}

/* Start-up succeeded: release the waiting parent, detach from the terminal. */
static void daemon_ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	log_also_stderr(false);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(ready_fd, "R", 1) != 1)
		log_warn("start-up: could not notify the parent process: %s", strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}

/*
 * One spigrpd per network namespace: the SAD/SPD and our reqid band are per
 * namespace, and a second daemon would adopt (and at its exit delete) the
 * first one's objects.  An abstract unix socket is itself per network
 * namespace and vanishes with the process, so binding a fixed name is the
 * lock.  Return: the bound fd, or -errno (-EADDRINUSE: another daemon).
 */
static int netns_lock(void)
{
	static const char name[] = "\0spigrpd/instance";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, name, sizeof(name) - 1);
	if (bind(fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(name) - 1)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/*
 * The state dir (reqids, shunt record) belongs to one daemon: a second one
 * in another network namespace would take its records over.  An flock on
 * STATE_DIR/lock, held for the daemon's life (the file stays).
 * Return: the fd, or -errno (-EWOULDBLOCK: another daemon holds it).
 */
static int state_dir_lock(const char *dir)
{
	char *path = NULL;
	int fd, e;

	make_dirs(dir, true);
	if (asprintf(&path, "%s/lock", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	e = -errno;
	free(path);
	if (fd < 0)
		return e;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		close(fd);
		return e;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "local", required_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .cfg_path = DEFAULT_CONFIG, .sig_fd = -1, .lock_fd = -1,
			  .state_lock_fd = -1,
			  .owner = { NULL, owner_wants_kernel, owner_installed, owner_adopted,
				     owner_lost } };
	char *cfg_abs = NULL;
	struct cfg_errors errs = { 0 };
	bool foreground = false, check = false, debug = false;
	char err[256];
	sigset_t mask;
	int c, r, ret = 1;

	while ((c = getopt_long(argc, argv, "c:fnl:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.cfg_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'l':
			if (nlocal == MAX_LOCAL) {
				fprintf(stderr, "spigrpd: too many --local addresses (max %d)\n",
					MAX_LOCAL);
				return 1;
			}
			if (ip_addr_parse(optarg, &local_addr[nlocal], err, sizeof(err)) < 0) {
				fprintf(stderr, "spigrpd: --local: %s\n", err);
				return 1;
			}
			nlocal++;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("spigrpd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "spigrpd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (nlocal && !check) {
		fprintf(stderr, "spigrpd: --local only goes with -n\n");
		return 1;
	}
	if (check)
		return check_only(d.cfg_path);
	/* SIGHUP re-reads the file after chdir("/"): keep an absolute path,
	 * but not a resolved one (a symlink swapped before SIGHUP is followed,
	 * and a relative secrets path stays relative to the link, as with -n) */
	if (d.cfg_path[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (cwd && asprintf(&cfg_abs, "%s/%s", cwd, d.cfg_path) >= 0)
			d.cfg_path = cfg_abs;
		else
			cfg_abs = NULL;
		free(cwd);
	}

	log_init("spigrpd", foreground, debug ? LOG_DEBUG : LOG_INFO);
	d.cfg = cfg_load(d.cfg_path, true, &errs);
	if (!d.cfg) {
		if (!foreground)
			for (size_t i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.msg[i]);
		/* (syslog gets them too, below) */
		log_err("%s has errors; not starting:", d.cfg_path);
		log_errors(&errs);
		goto out;
	}
	if (!foreground && (r = daemonize()) < 0) {
		log_err("cannot go to the background: %s", strerror(-r));
		goto out;
	}
	d.lock_fd = netns_lock();
	if (d.lock_fd == -EADDRINUSE) {
		log_err("another spigrpd is running in this network namespace; not starting");
		goto out;
	} else if (d.lock_fd < 0) {
		log_err("instance lock: %s", strerror(-d.lock_fd));
		goto out;
	}
	d.state_lock_fd = state_dir_lock(d.cfg->state_dir);
	if (d.state_lock_fd == -EWOULDBLOCK) {
		log_err("state-dir %s is in use by another spigrpd (every daemon needs its own); "
			"not starting", d.cfg->state_dir);
		goto out;
	} else if (d.state_lock_fd < 0) {
		log_err("state-dir %s: %s", d.cfg->state_dir, strerror(-d.state_lock_fd));
		goto out;
	}

	/* Signals go to the signalfd only; threads started later inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d.sig_fd < 0) {
		log_err("signalfd: %s", strerror(errno));
		goto out;
	}

	make_dirs(d.cfg->control, false);
	{
		gid_t gid = (gid_t)-1;
		if (d.cfg->control_group) {
			struct group *gr = getgrnam(d.cfg->control_group);
			if (gr)
				gid = gr->gr_gid;
			else
				log_warn("control-group %s: no such group", d.cfg->control_group);
		}
		r = ctl_open(&d.ctl, d.cfg->control, gid);
	}
	if (r == -EADDRINUSE) {
		log_err("another spigrpd is running on %s; not starting", d.cfg->control);
		goto out;
	} else if (r < 0) {
		log_err("control socket %s: %s", d.cfg->control, strerror(-r));
		goto out;
	}

	r = xfrm_open(&d.xfrm);
	if (r < 0) {
		log_err("XFRM netlink: %s", strerror(-r));
		goto out;
	}
	xfrm_set_state_dir(d.xfrm, d.cfg->state_dir);
	r = addrmon_open(&d.am);
	if (r < 0) {
		log_err("local addresses (rtnetlink): %s", strerror(-r));
		goto out;
	}
	if (d.cfg->install_routes) {
		r = route_open(&d.route, d.cfg->route_table, d.am);
		if (r < 0) {
			log_err("routes (rtnetlink): %s", strerror(-r));
			goto out;
		}
	}

	d.db = build_db(d.cfg, d.am, &errs);
	if (!d.db) {
		log_err("%s has errors; not starting:", d.cfg_path);
		log_errors(&errs);
		goto out;
	}
	r = xfrm_adopt(d.xfrm, d.db, &d.owner);
	if (r < 0)
		log_warn("reading the kernel's SAD/SPD at start: %s", strerror(-r));
	else if (r > 0)
		log_info("adopted %d group(s) left in the kernel by an earlier run", r);
	for (size_t i = 0; i < d.db->ngroup; i++)
		group_routes(&d, d.db->group[i]);

	make_dirs(d.cfg->mount, true);
	r = pe_view_mount(&d.view, d.cfg->mount, err, sizeof(err));
	if (r < 0) {
		log_err("view at %s: %s", d.cfg->mount, err);
		goto out;
	}
	publish_version(&d);
	install_pending(&d);
	publish_view(&d);
	log_notice("running: %zu group(s), view at %s, control at %s", d.db->ngroup,
		   d.cfg->mount, d.cfg->control);
	daemon_ready();

	run(&d);
	ret = 0;
out:
	shutdown_all(&d);
	cfg_errors_free(&errs);
	free(cfg_abs);
	return ret;
}
