/* main.c: spigrpd's entry point.  Options and -n; going to the background;
 * the instance locks; setting up the one struct daemon (daemon.h) around
 * its loop (loop.h) and tearing it down.  What the daemon does lives
 * elsewhere: reconcile.c (desired vs installed), status.c (answers),
 * kernops.c (the kernel backend). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "commands.h"
#include "daemon.h"
#include "dpops.h"
#include "kernops.h"
#include "klipsrt.h"
#include "kview.h"
#include "log.h"
#include "loop.h"
#include "reconcile.h"
#include "render.h"
#include "runtime.h"
#include "sadb.h"
#include "seqstore.h"
#include "snap.h"
#include "statefile.h"
#include "strbuf.h"
#include "view.h"

#define DEFAULT_CONFIG SYSCONFDIR "/spigrpd.conf"
#define MAX_LOCAL 64
#define ADDR_SETTLE_MS 200 /* address events come in bursts */
#define VIEW_SPACING_MIN_MS 10 /* between two renderings of ipsec_spigrp, and */
#define VIEW_SPACING_FACTOR 3  /* this many times what the view costs */
#define SEQ_TICK_MS 1000   /* sequence reservations without a wake-up too */

/* --local addresses for -n: decide directions as if these were ours. */
static struct ip_addr local_addr[MAX_LOCAL];
static unsigned nlocal;

static bool local_list_is_local(const struct ip_addr *a, void *arg)
{
	(void)arg;
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
		"Programs the KLIPS-style SA groups of FILE into the kernel's XFRM, runs\n"
		"the groups the kernel cannot hold in its own userspace datapath (a TUN\n"
		"device and raw sockets), and serves the KLIPS view (ipsec_spigrp,\n"
		"ipsec_spi, ipsec_eroute, ...) through FUSE.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -f, --foreground    stay in the foreground and log to stderr (without\n"
		"                      it: log to syslog(3) through /dev/log)\n"
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

/* Without -f everything goes to syslog(3), which drops it without a word
 * when nothing listens on /dev/log: say so on stderr while it is still
 * the caller's. */
static void note_no_syslog(void)
{
	struct stat st;

	if (stat(_PATH_LOG, &st) == 0 && S_ISSOCK(st.st_mode))
		return;
	fprintf(stderr, "spigrpd: note: no syslog socket at %s: the messages of this daemon "
		"will be lost (run it with -f to log to stderr, or start a syslog daemon)\n",
		_PATH_LOG);
}

static void log_errors(const struct cfg_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		log_err("%s", e->msg[i]);
}

/* ---- the loop's callbacks ---- */

static void on_signal(void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct cfg_errors errs = { 0 };

			log_notice("SIGHUP: reloading %s", d->cfg_path);
			reconcile_reload(d, &errs);
			cfg_errors_free(&errs);
		} else {
			log_notice("%s: stopping", strsignal((int)si.ssi_signo));
			loop_stop(d->loop);
		}
	}
}

/* The CPU time of this thread, in microseconds. */
static int64_t cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The view follows the kernel mirror.  A changed state or policy is
 * published at once (at the end of this loop round, with every event read
 * in it) when the view is idle; while changes keep coming, once per
 * spacing: VIEW_SPACING_MIN_MS, or VIEW_SPACING_FACTOR times the CPU time
 * the view costs per publication (averaged: the rendering of ipsec_spigrp
 * plus those of ipsec_spi and ipsec_eroute that readers asked for in
 * between; the CPU clock may tick in 10 ms steps), so that a flood of
 * events leaves the view a quarter of the daemon at most.  Changed
 * counters alone only drop ipsec_spi and ipsec_eroute: their next open
 * renders them. */
static void view_schedule(struct daemon *d)
{
	int stale = reconcile_view_stale(d);

	if (!stale || !d->view_timer)
		return;
	if (stale == RECONCILE_VIEW_COUNTERS) {
		reconcile_view_counters(d);
		return;
	}
	if (!loop_timer_armed(d->view_timer))
		loop_timer_arm(d->view_timer, d->view_due - loop_now_ms());
}

static void on_view_timer(void *arg)
{
	struct daemon *d = arg;
	int64_t c0 = cpu_us(), t0 = loop_now_ms(), spacing;

	reconcile_publish(d);
	d->view_spent_us += cpu_us() - c0;
	d->view_cost_us += (d->view_spent_us - d->view_cost_us) / 4;
	/* after a pause the view may have shrunk: what it costs now, then */
	if (t0 > d->view_due + VIEW_SPACING_MIN_MS && d->view_spent_us < d->view_cost_us)
		d->view_cost_us = d->view_spent_us;
	d->view_spent_us = 0;
	spacing = VIEW_SPACING_FACTOR * d->view_cost_us / 1000;
	if (spacing < VIEW_SPACING_MIN_MS)
		spacing = VIEW_SPACING_MIN_MS;
	d->view_due = loop_now_ms() + spacing;
	log_debug("view: ipsec_spigrp published; %lld us of CPU per publication, the next "
		  "one %lld ms after", (long long)d->view_cost_us, (long long)spacing);
}

static void on_xfrm_event(void *arg)
{
	struct daemon *d = arg;

	reconcile_events(d);
	view_schedule(d);
}

static void on_addr_event(void *arg)
{
	struct daemon *d = arg;

	if (d->ops->addr_changed(d->kern))
		loop_timer_arm(d->addr_timer, ADDR_SETTLE_MS);
}

static void on_addr_settled(void *arg)
{
	log_info("local addresses changed: re-evaluating directions");
	reconcile_addresses(arg);
}

/* A datapath worker is past half of a sequence block (its eventfd).  While
 * reservations fail (a full disk), a worker past half kicks every batch:
 * the kick is only drained then, and the timer retries once a second. */
static void on_seq_event(void *arg)
{
	struct daemon *d = arg;
	uint64_t v;

	if (d->seq_failing) {
		(void)!read(d->dpops->seq_fd(d->dp), &v, sizeof(v));
		return;
	}
	reconcile_seq_tick(d);
}

/* Every SEQSTORE_KERNEL_PERIOD_S: the kernel SAs' sequence numbers. */
static void on_kseq_timer(void *arg)
{
	struct daemon *d = arg;

	reconcile_record_seq(d, false);
	loop_timer_arm(d->kseq_timer, SEQSTORE_KERNEL_PERIOD_S * 1000);
}

/* A reader waits for ipsec_spi or ipsec_eroute (pe_view_refresh_fd()). */
static void on_view_refresh(void *arg)
{
	struct daemon *d = arg;
	uint64_t n;

	if (read(pe_view_refresh_fd(d->view), &n, sizeof(n)) == (ssize_t)sizeof(n)) {
		int64_t c0 = cpu_us();

		reconcile_view_refresh(d);
		d->view_spent_us += cpu_us() - c0;
		view_schedule(d); /* the counters' dump may have found changes */
	}
}

/* Every SEQ_TICK_MS: the datapath's reservations, also without a wake-up. */
static void on_seq_timer(void *arg)
{
	struct daemon *d = arg;

	reconcile_seq_tick(d);
	loop_timer_arm(d->seq_timer, SEQ_TICK_MS);
}

static int ctl_prepare(void *arg, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct daemon *d = arg;

	*timeout_ms = ctl_timeout_ms(d->ctl);
	return ctl_pollfds(d->ctl, pfd, max);
}

/* every round, also after a timeout: it drops late clients */
static void ctl_serve(void *arg, const struct pollfd *pfd, int n)
{
	struct daemon *d = arg;

	ctl_dispatch(d->ctl, pfd, n, &daemon_commands, d);
}

/* ---- -n ---- */

static int check_only(const char *path)
{
	struct cfg_errors errs = { 0 };
	struct cfg *c;
	struct sadb *db = NULL;
	struct reason why = { "" };
	void *k = NULL;
	int ret = 1;

	c = cfg_load(path, true, &errs);
	if (c && !nlocal && kernops_open_local(&k, &why) < 0)
		fprintf(stderr, "spigrpd: %s (no address counts as local)\n", why.text);
	if (c)
		db = nlocal || !k ? sadb_build(c, local_list_is_local, NULL, &errs)
				  : sadb_build(c, kernops_real.is_local, k, &errs);
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
	kernops_close(k);
	return ret;
}

/* ---- the background, locks ---- */

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
		sigset_t all;

		/* the waiting parent may be interrupted (the daemon's are
		 * blocked until its loop reads them) */
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
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

	struct stat st;

	e = mkdir_p(dir, 0755, 1);
	if (e < 0)
		return e;
	/* Its files (reqids, shunts, lock) decide what we delete and install:
	 * a directory someone else owns or may write is refused (-EPERM). */
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	if (asprintf(&path, "%s/lock", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	e = -errno;
	free(path);
	if (fd < 0)
		return e;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int take_locks(struct daemon *d)
{
	d->lock_fd = netns_lock();
	if (d->lock_fd == -EADDRINUSE) {
		log_err("another spigrpd is running in this network namespace; not starting");
		return -1;
	} else if (d->lock_fd < 0) {
		log_err("instance lock: %s", strerror(-d->lock_fd));
		return -1;
	}
	d->state_lock_fd = state_dir_lock(d->cfg->state_dir);
	if (d->state_lock_fd == -EWOULDBLOCK) {
		log_err("state-dir %s is in use by another spigrpd (every daemon needs its own); "
			"not starting", d->cfg->state_dir);
		return -1;
	} else if (d->state_lock_fd == -EPERM) {
		log_err("state-dir %s must be a directory of ours that no one else may write "
			"(owner uid %u, not writable by group or others), with a regular file "
			"lock; not starting", d->cfg->state_dir, (unsigned)geteuid());
		return -1;
	} else if (d->state_lock_fd < 0) {
		log_err("state-dir %s: cannot create or lock it: %s", d->cfg->state_dir,
			strerror(-d->state_lock_fd));
		return -1;
	}
	return 0;
}

/* ---- set-up and tear-down ---- */

/* Signals go to a signalfd only; threads started later inherit the mask. */
/* The signals the loop reads from its signalfd, blocked from the start of
 * main(): a SIGHUP or SIGTERM while the config is still being read waits
 * for the loop (the default action would end the daemon silently). */
static void block_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigprocmask(SIG_BLOCK, mask, NULL);
}

static int open_signals(struct daemon *d)
{
	sigset_t mask;

	block_signals(&mask);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_control(struct daemon *d)
{
	gid_t gid = (gid_t)-1;
	int r;

	mkdir_p(d->cfg->control, 0755, 0);
	if (d->cfg->control_group) {
		struct group *gr = getgrnam(d->cfg->control_group);

		if (gr)
			gid = gr->gr_gid;
		else
			log_warn("control-group %s: no such group", d->cfg->control_group);
	}
	r = ctl_open(&d->ctl, d->cfg->control, gid);
	if (r == -EADDRINUSE)
		log_err("another spigrpd is running on %s; not starting", d->cfg->control);
	else if (r < 0)
		log_err("control socket %s: %s", d->cfg->control, strerror(-r));
	return r < 0 ? -1 : 0;
}

static int open_view(struct daemon *d)
{
	struct strbuf b = STRBUF_INIT;
	char err[256];
	char *text;
	size_t len;
	int r;

	mkdir_p(d->cfg->mount, 0755, 1);
	r = pe_view_mount(&d->view, d->cfg->mount, err, sizeof(err));
	if (r < 0) {
		log_err("view at %s: %s", d->cfg->mount, err);
		return -1;
	}
	/* the files that never change */
	if (render_version(&b) == 0 && (text = strbuf_take(&b, &len)))
		pe_view_publish(d->view, "ipsec_version", snap_new(text, len, 0, NULL));
	if (render_klipsdebug(&b) == 0 && (text = strbuf_take(&b, &len)))
		pe_view_publish(d->view, "ipsec_klipsdebug", snap_new(text, len, 0, NULL));
	if (render_natt(&b) == 0 && (text = strbuf_take(&b, &len)))
		pe_view_publish(d->view, "ipsec/natt", snap_new(text, len, 0, NULL));
	strbuf_free(&b);
	return 0;
}

static int add_to_loop(struct daemon *d)
{
	struct loop_source ctl = {
		.prepare = ctl_prepare, .dispatch = ctl_serve, .arg = d, .max = CTL_POLLFDS_MAX,
	};
	int r = loop_new(&d->loop);

	if (r < 0) {
		log_err("main loop: %s", strerror(-r));
		return -1;
	}
	d->addr_timer = loop_timer_new(d->loop, on_addr_settled, d);
	d->seq_timer = loop_timer_new(d->loop, on_seq_timer, d);
	d->kseq_timer = loop_timer_new(d->loop, on_kseq_timer, d);
	d->view_timer = loop_timer_new(d->loop, on_view_timer, d);
	if (d->kseq_timer)
		loop_timer_arm(d->kseq_timer, SEQSTORE_KERNEL_PERIOD_S * 1000);
	if (!d->addr_timer || !d->seq_timer || !d->kseq_timer || !d->view_timer ||
	    loop_add_fd(d->loop, d->sig_fd, on_signal, d) < 0 ||
	    loop_add_fd(d->loop, d->ops->event_fd(d->kern), on_xfrm_event, d) < 0 ||
	    loop_add_fd(d->loop, d->ops->addr_fd(d->kern), on_addr_event, d) < 0 ||
	    (pe_view_refresh_fd(d->view) >= 0 &&
	     loop_add_fd(d->loop, pe_view_refresh_fd(d->view), on_view_refresh, d) < 0) ||
	    loop_add_source(d->loop, &ctl) < 0) {
		log_err("main loop: out of memory");
		return -1;
	}
	loop_timer_arm(d->seq_timer, SEQ_TICK_MS);
	return 0;
}

/*
 * The sequence-number file, at start: kernel groups need it too (kseq.h).
 * The userspace datapath's groups are skipped with d->dp_why when it
 * cannot be read (never reset: that would reuse numbers).
 */
static void open_seqstore(struct daemon *d)
{
	struct reason why = { "" };
	int r;

	d->dpops = &dpops_real;
	r = seqstore_open(&d->seq, d->cfg->state_dir, &why);
	if (r < 0) {
		snprintf(d->dp_why, sizeof(d->dp_why), "sequence numbers (%s/seq): %s",
			 d->cfg->state_dir, why.text[0] ? why.text : strerror(-r));
		log_err("%s", d->dp_why);
	}
}

/*
 * The userspace datapath's engine (its TUN device, sockets and worker
 * threads; signals stay blocked in them), started by the reconciler when
 * it first places a group in userspace (d->dp_start).  A host without what
 * it needs (no /dev/net/tun, no sequence file) still runs its kernel
 * groups: the groups placed in userspace are skipped with d->dp_why.
 */
static int start_datapath(struct daemon *d)
{
	struct reason why = { "" };
	int r;

	if (!d->seq)
		return -ENOENT; /* dp_why says why (open_seqstore()) */
	r = dpops_open(&d->dp, d->cfg, d->seq, &why);
	if (r < 0) {
		snprintf(d->dp_why, sizeof(d->dp_why), "%s", why.text[0] ? why.text : strerror(-r));
		log_warn("userspace datapath not started: %s", d->dp_why);
		return r;
	}
	if (loop_add_fd(d->loop, d->dpops->seq_fd(d->dp), on_seq_event, d) < 0) {
		dpops_close(d->dp);
		d->dp = NULL;
		snprintf(d->dp_why, sizeof(d->dp_why), "out of memory");
		log_err("userspace datapath not started: %s", d->dp_why);
		return -ENOMEM;
	}
	d->dp_why[0] = '\0';
	log_info("userspace datapath: %s (ifindex %d), fwmark 0x%x/0x%x", d->cfg->tun_device,
		 d->dpops->ifindex(d->dp), d->cfg->fwmark, d->cfg->fwmask);
	return 0;
}

static bool private_mnt; /* own_mount_ns() at start */

/* Whether this process's mount namespace differs from PID 1's (or, when
 * that cannot be looked at, as in some containers, from the parent's: call
 * it before daemonizing), as under `ip netns exec`, which makes a private
 * one.  False when neither can be looked at. */
static bool own_mount_ns(void)
{
	struct stat self, ref;
	char parent[64];

	snprintf(parent, sizeof(parent), "/proc/%ld/ns/mnt", (long)getppid());
	if (stat("/proc/self/ns/mnt", &self) < 0 ||
	    (stat("/proc/1/ns/mnt", &ref) < 0 && stat(parent, &ref) < 0))
		return false;
	return self.st_dev != ref.st_dev || self.st_ino != ref.st_ino;
}

/* The view and the control socket are then seen only from inside it. */
static void note_mount_ns(const struct daemon *d)
{
	log_info("this process has a mount namespace of its own: the view at %s and the "
		 "control socket %s are visible only inside it (for a daemon in a network "
		 "namespace, start it with nsenter --net=/run/netns/NAME, not ip netns exec)",
		 d->cfg->mount, d->cfg->control);
}

/* Everything up to "running"; -1 when the daemon cannot start (logged). */
static int start(struct daemon *d, struct cfg_errors *errs)
{
	struct reason why = { "" };
	int r;

	if (take_locks(d) < 0 || open_signals(d) < 0 || open_control(d) < 0)
		return -1;
	r = kernops_open(&d->kern, d->cfg, &why);
	if (r < 0) {
		log_err("%s", why.text);
		return -1;
	}
	d->ops = &kernops_real;
	open_seqstore(d);
	d->dp_start = start_datapath;
	r = reconcile_start(d, errs);
	if (r < 0) {
		log_err("%s has errors; not starting:", d->cfg_path);
		log_errors(errs);
		return -1;
	}
	if (open_view(d) < 0 || add_to_loop(d) < 0)
		return -1;
	if (private_mnt)
		note_mount_ns(d);
	reconcile_install_pending(d);
	reconcile_publish(d);
	log_notice("running: %zu group(s), view at %s, control at %s", d->db->ngroup,
		   d->cfg->mount, d->cfg->control);
	return 0;
}

static void shutdown_all(struct daemon *d)
{
	if (d->ops)
		reconcile_stop(d);
	pe_view_unmount(d->view);
	ctl_close(d->ctl);
	dpops_close(d->dp); /* after reconcile_stop(): no route leads there now */
	seqstore_close(d->seq);
	kernops_close(d->kern);
	rt_free(d->rt);
	sadb_free(d->db);
	cfg_free(d->cfg);
	cfg_free(d->file);
	klipsrt_free(d);
	snap_put(d->view_snap);
	kview_clear(d->view_foreign);
	free(d->view_foreign);
	labels_clear(&d->labels);
	loop_free(d->loop);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->state_lock_fd >= 0)
		close(d->state_lock_fd);
}

/* ---- main ---- */

struct options {
	const char *cfg_path;
	bool foreground, check, debug;
};

/* Parse argv; -1: go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
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
	char err[256];
	int c;

	while ((c = getopt_long(argc, argv, "c:fnl:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cfg_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check = true;
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
			o->debug = true;
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
	if (nlocal && !o->check) {
		fprintf(stderr, "spigrpd: --local only goes with -n\n");
		return 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { .cfg_path = DEFAULT_CONFIG };
	struct daemon d = { .sig_fd = -1, .lock_fd = -1, .state_lock_fd = -1 };
	struct cfg_errors errs = { 0 };
	char *cfg_abs = NULL;
	sigset_t early;
	int r, ret = 1;

	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.check)
		return check_only(o.cfg_path);
	/* keys live in this process: no core dumps, no ptrace by other users,
	 * no /proc/PID/mem for them */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	block_signals(&early);
	/* SIGHUP re-reads the file after chdir("/"): keep an absolute path,
	 * but not a resolved one (a symlink swapped before SIGHUP is followed,
	 * and a relative secrets path stays relative to the link, as with -n) */
	d.cfg_path = o.cfg_path;
	if (o.cfg_path[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (cwd && asprintf(&cfg_abs, "%s/%s", cwd, o.cfg_path) >= 0)
			d.cfg_path = cfg_abs;
		else
			cfg_abs = NULL;
		free(cwd);
	}
	log_init("spigrpd", o.foreground, o.debug ? LOG_DEBUG : LOG_INFO);
	if (!o.foreground)
		note_no_syslog();
	private_mnt = own_mount_ns();
	d.cfg = cfg_load(d.cfg_path, true, &errs);
	if (!d.cfg) {
		if (!o.foreground) /* syslog gets them too, below */
			for (size_t i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.msg[i]);
		log_err("%s has errors; not starting:", d.cfg_path);
		log_errors(&errs);
		goto out;
	}
	if (!o.foreground && (r = daemonize()) < 0) {
		log_err("cannot go to the background: %s", strerror(-r));
		goto out;
	}
	if (start(&d, &errs) < 0)
		goto out;
	daemon_ready();
	r = loop_run(d.loop);
	if (r < 0)
		log_err("poll: %s", strerror(-r));
	ret = 0;
out:
	shutdown_all(&d);
	cfg_errors_free(&errs);
	free(cfg_abs);
	return ret;
}
