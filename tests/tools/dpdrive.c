/* dpdrive: runs the userspace datapath engine (src/dp/dp.h) on a config,
 * without the daemon, for the netns tier and the benchmarks.
 *
 *   dpdrive [-t TUN] [-m MARK] [-b BATCH] CONF [GROUP...]
 *
 * Loads CONF (cfg_load, sadb_build with this network namespace's
 * addresses as the local ones, dpsnap_build), opens the engine with the
 * config's state-dir as the sequence number store, installs every group
 * that has a direction here (or only the GROUPs named) and commits.  Then
 * prints one line per group, "group NAME dir out|in mtu N", and "ready
 * IFINDEX", and serves sequence number requests until SIGTERM or SIGINT;
 * SIGHUP re-reads CONF and installs its groups again (a commit over
 * running traffic); SIGUSR1 prints the counters, as it does at the end:
 *   sa SAID packets N bytes N icv N replay N ... seq_next N
 *   sock NAME packets N not_ours N malformed N
 *   dp tun_packets N tun_malformed N tun_no_group N tun_write_errors N
 *      tx_packets N tx_errors N
 * The routes into the TUN are the caller's (`ip route`).  Exit 0, or 1
 * with the reason on stderr.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cfg.h"
#include "dp.h"
#include "dpsnap.h"
#include "sadb.h"
#include "salive.h"
#include "seqstore.h"
#include "snap.h"
#include "xform.h"

struct drive {
	struct dp *dp;
	struct cfg *cfg;
	struct sadb *db;
	char **only;
	int nonly;
	/* the live objects of the installed groups' SAs, for the counters */
	struct sa_live **live;
	struct said *said;
	size_t nlive;
};

static bool is_local(const struct ip_addr *a, void *arg)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	(void)arg;
	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != a->family)
			continue;
		if (sa->sa_family == AF_INET)
			found = !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, a->b, 4);
		else if (sa->sa_family == AF_INET6)
			found = !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, a->b, 16);
	}
	freeifaddrs(ifa);
	return found;
}

static bool wanted(const struct drive *dr, const struct sadb_group *g)
{
	if (g->shunt || g->implicit || g->dir == SADB_DIR_NONE)
		return false;
	if (!dr->nonly)
		return true;
	for (int i = 0; i < dr->nonly; i++)
		if (!strcmp(dr->only[i], g->name))
			return true;
	return false;
}

/* The live object of @sa from the previous load when it is the same SA
 * (SAID, keys, algorithms...: sadb_sa_equal()), else a new one. */
static struct sa_live *sa_live_for(const struct drive *old, const struct sadb_sa *sa)
{
	const struct sadb_sa *o = old->db ? sadb_find_sa(old->db, &sa->cfg->said) : NULL;

	if (o && sadb_sa_equal(o, sa))
		for (size_t i = 0; i < old->nlive; i++)
			if (said_equal(&old->said[i], &sa->cfg->said))
				return sa_live_get(old->live[i]);
	return sa_live_new(sa->cfg->replay_window, sa->cfg->esn);
}

static int install_group(struct drive *dr, const struct drive *old, const struct sadb_group *g)
{
	struct sa_live *live[CFG_MAX_GROUP_SAS + 1] = { NULL };
	struct snap *snap = dpsnap_build(g, NULL);
	const struct dpsnap_group *dg;
	struct reason why = { "" };
	int ret = -ENOMEM;

	if (!snap)
		goto out;
	dg = dpsnap_group(snap);
	for (unsigned k = 0; k < dg->nsa; k++) {
		live[k] = sa_live_for(old, g->sa[k]);
		if (!live[k])
			goto out;
	}
	ret = dp_group_add(dr->dp, snap, live, 0, &why);
	if (ret) {
		fprintf(stderr, "dpdrive: group %s: %s\n", g->name, why.text);
		goto out;
	}
	for (unsigned k = 0; k < dg->nsa; k++) {
		dr->live[dr->nlive] = sa_live_get(live[k]);
		dr->said[dr->nlive++] = dg->sa[k].said;
	}
	printf("group %s dir %s mtu %u\n", g->name, g->dir == SADB_DIR_OUT ? "out" : "in",
	       xf_inner_mtu(dg, 1500));
out:
	for (unsigned k = 0; k < CFG_MAX_GROUP_SAS + 1; k++)
		sa_live_put(live[k]);
	snap_put(snap);
	return ret;
}

static void forget(struct drive *dr)
{
	for (size_t i = 0; i < dr->nlive; i++)
		sa_live_put(dr->live[i]);
	free(dr->live);
	free(dr->said);
	sadb_free(dr->db);
	cfg_free(dr->cfg);
}

/* Read @path and stage its groups: the previous load's groups that are
 * gone removed, the others replaced (an SA that stays the same keeps its
 * live object: counters, sequence numbers, window). */
static int load(struct drive *dr, const char *path)
{
	struct cfg_errors errs = { NULL, 0 };
	struct cfg *c = cfg_load(path, false, &errs);
	struct sadb *db = c ? sadb_build(c, is_local, NULL, &errs) : NULL;
	struct drive old = *dr;
	size_t max;
	int ret = 0;

	if (!db) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "dpdrive: %s\n", errs.msg[i]);
		cfg_errors_free(&errs);
		cfg_free(c);
		return -EINVAL;
	}
	max = db->ngroup * (CFG_MAX_GROUP_SAS + 1) + 1;
	dr->cfg = c;
	dr->db = db;
	dr->nlive = 0;
	dr->live = calloc(max, sizeof(*dr->live));
	dr->said = calloc(max, sizeof(*dr->said));
	if (!dr->live || !dr->said)
		ret = -ENOMEM;
	for (size_t i = 0; old.db && i < old.db->ngroup; i++) {
		const struct sadb_group *g = sadb_find_group(db, old.db->group[i]->name);

		if (wanted(&old, old.db->group[i]) && !(g && wanted(dr, g)))
			dp_group_del(dr->dp, old.db->group[i]->name);
	}
	for (size_t i = 0; !ret && i < db->ngroup; i++)
		if (wanted(dr, db->group[i]))
			ret = install_group(dr, &old, db->group[i]);
	forget(&old);
	return ret;
}

static void print_counters(const struct drive *dr)
{
	struct dp_stats st;

	for (size_t i = 0; i < dr->nlive; i++) {
		const struct sa_live *l = dr->live[i];
		char buf[SAID_BUF];

		said_format(&dr->said[i], 'f', buf, sizeof(buf));
		printf("sa %s packets %llu bytes %llu", buf,
		       (unsigned long long)atomic_load(&l->packets),
		       (unsigned long long)atomic_load(&l->bytes));
		for (unsigned r = DP_DROP_ICV; r < DP_DROP_NR; r++)
			printf(" %s %llu", dp_drop_name(r), (unsigned long long)atomic_load(&l->drop[r]));
		printf(" seq_next %llu\n", (unsigned long long)atomic_load(&l->seq_next));
	}
	dp_stats(dr->dp, &st);
	for (unsigned i = 0; i < DP_NSOCK; i++)
		printf("sock %s packets %llu not_ours %llu malformed %llu\n", st.sock[i].name,
		       (unsigned long long)st.sock[i].packets,
		       (unsigned long long)st.sock[i].not_ours,
		       (unsigned long long)st.sock[i].malformed);
	printf("dp tun_packets %llu tun_malformed %llu tun_no_group %llu tun_write_errors %llu "
	       "tx_packets %llu tx_errors %llu\n", (unsigned long long)st.tun_packets,
	       (unsigned long long)st.tun_malformed, (unsigned long long)st.tun_no_group,
	       (unsigned long long)st.tun_write_errors, (unsigned long long)st.tx_packets,
	       (unsigned long long)st.tx_errors);
	fflush(stdout);
}

/* Serve sequence number requests and signals until SIGTERM/SIGINT. */
static int serve(struct drive *dr, const char *path, int sfd)
{
	struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
				 { .fd = dp_seq_fd(dr->dp), .events = POLLIN } };
	struct reason why = { "" };

	for (;;) {
		struct signalfd_siginfo si;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			return 1;
		if (dp_seq_tick(dr->dp, &why))
			fprintf(stderr, "dpdrive: sequence numbers: %s\n", why.text);
		if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR1) {
			print_counters(dr);
		} else if (si.ssi_signo == SIGHUP) {
			if (load(dr, path) || dp_commit(dr->dp, &why))
				fprintf(stderr, "dpdrive: reload: %s\n", why.text);
			printf("reloaded\n");
			fflush(stdout);
		} else {
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct dp_config dc = { .tun_name = "spigrp0", .fwmark = 0x53470000,
				.fwmask = 0xffff0000 };
	struct drive dr = { NULL };
	struct reason why = { "" };
	struct seqstore *seq = NULL;
	sigset_t sigs;
	int opt, sfd, ret = 1;

	while ((opt = getopt(argc, argv, "t:m:b:")) != -1) {
		switch (opt) {
		case 't': dc.tun_name = optarg; break;
		case 'm': dc.fwmark = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'b': dc.batch = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	dr.only = argv + optind + 1;
	dr.nonly = argc - optind - 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL); /* before the workers start: they inherit it */
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	{
		struct cfg_errors errs = { NULL, 0 };
		struct cfg *c = cfg_load(argv[optind], false, &errs);

		if (!c || seqstore_open(&seq, c->state_dir, &why)) {
			fprintf(stderr, "dpdrive: %s%s\n", errs.n ? errs.msg[0] : "state-dir: ",
				errs.n ? "" : why.text);
			cfg_errors_free(&errs);
			cfg_free(c);
			return 1;
		}
		cfg_free(c);
	}
	dc.seq = seq;
	if (dp_open(&dr.dp, &dc, &why)) {
		fprintf(stderr, "dpdrive: %s\n", why.text);
		goto out;
	}
	if (load(&dr, argv[optind]))
		goto out;
	if (dp_commit(dr.dp, &why)) {
		fprintf(stderr, "dpdrive: commit: %s\n", why.text);
		goto out;
	}
	printf("ready %d\n", dp_ifindex(dr.dp));
	fflush(stdout);
	ret = serve(&dr, argv[optind], sfd);
	print_counters(&dr);
out:
	dp_close(dr.dp);
	forget(&dr);
	seqstore_close(seq);
	return ret;
usage:
	fprintf(stderr, "usage: dpdrive [-t TUN] [-m MARK] [-b BATCH] CONF [GROUP...]\n");
	return 2;
}
