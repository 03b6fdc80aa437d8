/* commands.c: what each control-socket command does in the daemon (the
 * table, commands.h).  Reads render the daemon's state; `reload` re-reads
 * the config; `set-label`/`del-label` name a foreign kernel group (labels.h)
 * without touching the kernel; `spi`, `spigrp`, `eroute` are the KLIPS
 * commands' transactions (klipsrt.h).  Runs in the main thread, called from
 * ctl_dispatch(). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "commands.h"
#include "daemon.h"
#include "klipsrt.h"
#include "labels.h"
#include "look.h"
#include "log.h"
#include "reconcile.h"
#include "render.h"
#include "snap.h"
#include "status.h"

static int cmd_view(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	const struct daemon *d = arg;

	(void)call;
	/* what the view serves: reconcile_publish() renders it once per change */
	if (d->view_snap) {
		strbuf_add(out, snap_data(d->view_snap), snap_len(d->view_snap));
		return out->oom ? -ENOMEM : 0;
	}
	return render_spigrp(d->db, d->rt, d->cfg->said_format, out);
}

static int cmd_view_spi(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	return reconcile_view_text(arg, "ipsec_spi", out);
}

static int cmd_view_eroute(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	return reconcile_view_text(arg, "ipsec_eroute", out);
}

/* KLIPS's `ipsec look` (look.h): the view's texts, our routes, the host
 * name and the time, joined as its script did. */
static int cmd_look(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct daemon *d = arg;
	struct strbuf grp = STRBUF_INIT, er = STRBUF_INIT, spi = STRBUF_INIT, rt = STRBUF_INIT;
	struct reason why = { "" };
	char host[256] = "";
	time_t now = time(NULL);
	struct tm tm;
	struct look_in in;
	int r;

	(void)call;
	reconcile_read_counters(d);
	gethostname(host, sizeof(host) - 1);
	localtime_r(&now, &tm);
	r = reconcile_view_text(d, "ipsec_spigrp", &grp);
	if (r == 0)
		r = reconcile_view_text(d, "ipsec_eroute", &er);
	if (r == 0)
		r = reconcile_view_text(d, "ipsec_spi", &spi);
	if (r == 0 && d->ops->route_text && d->ops->route_text(d->kern, &rt, &why) < 0)
		strbuf_printf(&rt, "(our route table could not be read: %s)\n", why.text);
	if (r == 0) {
		in = (struct look_in){ host, &tm, grp.s, er.s, spi.s, rt.s ? rt.s : "" };
		r = look_render(&in, out);
	}
	strbuf_free(&grp);
	strbuf_free(&er);
	strbuf_free(&spi);
	strbuf_free(&rt);
	return r;
}

static int cmd_list(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	status_list(arg, out);
	return 0;
}

static int cmd_status(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	status_text(arg, out);
	return 0;
}

static int cmd_status_json(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	status_json(arg, out);
	return 0;
}

static int cmd_version(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	(void)call;
	strbuf_printf(out, "spigrpd %s\n", PACKAGE_VERSION);
	return 0;
}

static int cmd_reload(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct cfg_errors errs = { 0 };
	int r;

	(void)call;
	r = reconcile_reload(arg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		strbuf_printf(out, "%s\n", errs.msg[i]);
	cfg_errors_free(&errs);
	return r;
}

/* The reqid of a label command's "--reqid N" at @call->argv[@at]; checked
 * by label_args() before the command runs. */
static uint32_t label_reqid(const struct cmd_call *call, int at)
{
	uint32_t reqid = 0;

	label_parse_reqid(call->argv[at + 1], &reqid, NULL);
	return reqid;
}

/* "[LABEL] --reqid N": the label's characters and the number. */
static int label_args(const struct cmd_call *call, struct reason *why)
{
	int at = call->argc - 2; /* where "--reqid" is */
	uint32_t reqid;
	int r;

	if (strcmp(call->argv[at], "--reqid") != 0) {
		reason_set(why, "%s %s", call->def->name, call->def->args);
		return -EINVAL;
	}
	r = label_parse_reqid(call->argv[at + 1], &reqid, why);
	if (r == 0 && at == 1)
		r = label_check(call->argv[0], why);
	return r;
}

/* Labels name groups of others: ours have their names in the config. */
static int label_foreign(const struct daemon *d, uint32_t reqid, struct strbuf *out)
{
	if (reqid - d->ops->reqid_base < d->ops->reqid_count) {
		strbuf_printf(out, "reqid 0x%08x is in spigrpd's own band (0x%08x .. 0x%08x): "
			      "our groups are named in the config\n", reqid, d->ops->reqid_base,
			      d->ops->reqid_base + d->ops->reqid_count - 1);
		return -EPERM;
	}
	return 0;
}

/* A label changed: answers and the view follow (no kernel request). */
static void label_changed(struct daemon *d)
{
	reconcile_publish(d);
}

static int cmd_set_label(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct daemon *d = arg;
	uint32_t reqid = label_reqid(call, 1);
	struct reason why = { "" };
	int r;

	r = label_foreign(d, reqid, out);
	if (r < 0)
		return r;
	r = labels_set(&d->labels, reqid, call->argv[0], &why);
	if (r < 0) {
		strbuf_printf(out, "%s\n", why.text[0] ? why.text : strerror(-r));
		return r;
	}
	log_info("label: reqid %u is \"%s\" (uid %u)", reqid, call->argv[0],
		 (unsigned)call->uid);
	label_changed(d);
	return 0;
}

static int cmd_del_label(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct daemon *d = arg;
	uint32_t reqid = label_reqid(call, 0);
	int r;

	r = label_foreign(d, reqid, out);
	if (r < 0)
		return r;
	if (labels_del(&d->labels, reqid) < 0) {
		strbuf_printf(out, "reqid %u has no label\n", reqid);
		return -ENOENT;
	}
	log_info("label: reqid %u unnamed (uid %u)", reqid, (unsigned)call->uid);
	label_changed(d);
	return 0;
}

static int cmd_labels(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	const struct daemon *d = arg;

	(void)call;
	for (size_t i = 0; i < d->labels.n; i++)
		strbuf_printf(out, "%u %s\n", d->labels.e[i].reqid, d->labels.e[i].name);
	return out->oom ? -ENOMEM : 0;
}

static uint64_t daemon_generation(void *arg)
{
	const struct daemon *d = arg;

	return d->gen;
}

/* Answers with counters are shared for at most this long. */
#define COUNTERS_SHARE_MS 1000

static const struct cmd_def commands[] = {
	{ "view", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_view, 0, "",
	  "the installed SA groups, as ipsec_spigrp shows them" },
	{ "view-spi", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_view_spi, COUNTERS_SHARE_MS, "",
	  "the SAs, as ipsec_spi shows them" },
	{ "view-eroute", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_view_eroute, COUNTERS_SHARE_MS, "",
	  "the eroutes (policies), as ipsec_eroute shows them" },
	{ "look", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_look, COUNTERS_SHARE_MS, "",
	  "what KLIPS's ipsec look printed: eroutes with their groups, SAs, our routes" },
	{ "list", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_list, 0, "",
	  "one line per group: name, state, placement, direction, SAIDs" },
	{ "status", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_status, COUNTERS_SHARE_MS, "",
	  "one block per group: state, placement and their reasons, counters" },
	{ "status-json", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_status_json,
	  COUNTERS_SHARE_MS, "", "the status as JSON" },
	{ "version", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_version, 0, "",
	  "the daemon's version" },
	{ "help", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_run_help, 0, "", "this list" },
	{ "reload", CMD_PRIVILEGED, 0, 0, 0, NULL, cmd_reload, 0, "",
	  "re-read the config file and apply the differences, as SIGHUP does" },
	{ "set-label", CMD_PRIVILEGED, 0, 3, 3, label_args, cmd_set_label, 0,
	  "LABEL --reqid N", "name the foreign kernel group of reqid N (metadata only)" },
	{ "del-label", CMD_PRIVILEGED, 0, 2, 2, label_args, cmd_del_label, 0, "--reqid N",
	  "remove the name of reqid N" },
	{ "labels", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_labels, 0, "",
	  "one line per label: reqid (decimal), label" },
	{ "spi", CMD_PRIVILEGED, CMD_TXN, 1, CMD_ARGS_MAX, NULL, klipsrt_cmd_spi, 0, "PROG ARG...",
	  "KLIPS spi: add or delete runtime SAs (PROG names the program in messages)" },
	{ "spigrp", CMD_PRIVILEGED, CMD_TXN, 1, CMD_ARGS_MAX, NULL, klipsrt_cmd_spigrp, 0,
	  "PROG ARG...", "KLIPS spigrp: group or ungroup SAs" },
	{ "eroute", CMD_PRIVILEGED, CMD_TXN, 1, CMD_ARGS_MAX, NULL, klipsrt_cmd_eroute, 0,
	  "PROG ARG...", "KLIPS eroute: add, replace or delete runtime eroutes" },
};

/* The KLIPS commands are the transactional ones (klipsrt.h). */
const struct cmd_table daemon_commands = {
	.cmd = commands,
	.n = sizeof(commands) / sizeof(commands[0]),
	.generation = daemon_generation,
	.txn_begin = klipsrt_txn_begin,
	.txn_commit = klipsrt_txn_commit,
	.txn_abort = klipsrt_txn_abort,
};
