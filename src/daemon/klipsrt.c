/* klipsrt.c: the KLIPS commands in the daemon (klipsrt.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "daemon.h"
#include "klips_args.h"
#include "klips_rt.h"
#include "klipsrt.h"
#include "log.h"
#include "reconcile.h"
#include "sadb.h"
#include "statefile.h"

#define RUNTIME_FILE "runtime"
#define RUNTIME_MAX (4u << 20) /* bytes of state-dir/runtime read at most */

/* A command between txn_begin and its commit or abort. */
struct klipsrt_txn {
	struct klips_rt next;  /* the objects as the command leaves them */
	struct cfg *cfg;       /* the config built from them */
	struct sadb *db;       /* its model */
	char prog[KLIPS_PROG_MAX];
	bool ready;            /* the run prepared all three */
	struct strbuf unfit, unfit_msgs; /* what the model leaves out, and why */
	struct strbuf done;    /* what the command changed ("added SA ...") */
};

static bool is_local(const struct ip_addr *a, void *arg)
{
	struct daemon *d = arg;

	return d->ops->is_local(a, d->kern);
}

static char *runtime_path(const struct daemon *d)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", d->cfg ? d->cfg->state_dir : d->file->state_dir, RUNTIME_FILE) < 0)
		return NULL;
	return p;
}

/* The next line of the text at *@p (NULL: none): *@line and its length
 * without the '\n' (a last line without one counts); *@p moves past it.
 * false at the end. */
static bool next_line(const char **p, const char **line, int *len)
{
	const char *nl;

	if (!*p || !**p)
		return false;
	nl = strchr(*p, '\n');
	*line = *p;
	*len = (int)(nl ? nl - *p : (ptrdiff_t)strlen(*p));
	*p = nl ? nl + 1 : *p + *len;
	return true;
}

/* Each line of @notes logged at @level, with @what before it. */
static void log_lines(int level, const char *what, const struct strbuf *notes)
{
	const char *p = notes->s, *m;
	int n;

	while (next_line(&p, &m, &n))
		log_msg(level, "%s%.*s", what, n, m);
}

/* Write @k to state-dir/runtime.  0 or -errno (logged by the caller). */
static int save(struct daemon *d, const struct klips_rt *k)
{
	struct strbuf b = STRBUF_INIT;
	char *path = runtime_path(d);
	int r = -ENOMEM;

	if (path && klips_rt_save(k, &b) == 0)
		r = statefile_write(path, b.s, b.len, 0600);
	if (b.s)
		OPENSSL_cleanse(b.s, b.cap);
	strbuf_free(&b);
	free(path);
	return r;
}

/* The file's text (NUL-terminated, to be wiped), NULL with *@err: -ENOENT
 * (no file), else why it is not read (@why set). */
static char *read_runtime(const char *path, int *err, char *why, size_t len, size_t *size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *text = NULL;
	ssize_t n;

	*err = 0;
	if (fd < 0) {
		*err = -errno;
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", path);
		*err = -EINVAL;
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, len, "%s: not owned by root", path);
		*err = -EPERM;
	} else if (st.st_mode & 077) {
		snprintf(why, len, "%s: holds keys but group or others may access it (mode %04o); "
			 "chmod 600 it", path, (unsigned)st.st_mode & 07777);
		*err = -EPERM;
	} else if (st.st_size > RUNTIME_MAX) {
		snprintf(why, len, "%s: larger than %u bytes", path, RUNTIME_MAX);
		*err = -EFBIG;
	} else if (!(text = calloc(1, (size_t)st.st_size + 1))) {
		*err = -ENOMEM;
		snprintf(why, len, "%s: out of memory", path);
	} else if ((n = read(fd, text, (size_t)st.st_size)) != st.st_size ||
		   memchr(text, '\0', (size_t)st.st_size)) {
		*err = n < 0 ? -errno : -EIO;
		snprintf(why, len, "%s: %s", path, n < 0 ? strerror(errno) : n != st.st_size
			 ? "short read" : "holds a NUL byte: not a text file of command lines");
		OPENSSL_cleanse(text, (size_t)st.st_size);
		free(text);
		text = NULL;
	}
	*size = text ? (size_t)st.st_size : 0;
	close(fd);
	return text;
}

void klipsrt_load(struct daemon *d)
{
	struct strbuf notes = STRBUF_INIT;
	char *path = runtime_path(d), *text, *bad = NULL;
	size_t size = 0;
	int err, r;

	if (!path)
		return;
	text = read_runtime(path, &err, d->krt_why, sizeof(d->krt_why), &size);
	if (!text) {
		if (err != -ENOENT) {
			d->krt_locked = true;
			log_err("runtime objects: %s; spi, spigrp and eroute are refused until it is "
				"repaired (the daemon neither reads nor overwrites it)", d->krt_why);
		}
		free(path);
		return;
	}
	d->krt_locked = false;
	r = klips_rt_load(&d->krt, d->file, text, &notes);
	if (r < 0) {
		log_err("runtime objects: out of memory reading %s", path);
	} else {
		log_lines(LOG_WARNING, "", &notes);
		if (d->krt.nsa || d->krt.nlink || d->krt.ner)
			log_info("runtime objects: %zu SA(s), %zu link(s), %zu eroute(s) from %s",
				 d->krt.nsa, d->krt.nlink, d->krt.ner, path);
		/* lines were left out: the file as it was goes to runtime.bad first */
		if (r > 0 && asprintf(&bad, "%s.bad", path) >= 0 &&
		    statefile_write(bad, text, size, 0600) == 0)
			log_notice("runtime objects: %s kept as %s", path, bad);
		if (r > 0 && (r = save(d, &d->krt)) < 0)
			log_err("runtime objects: writing %s: %s", path, strerror(-r));
	}
	free(bad);
	OPENSSL_cleanse(text, size);
	free(text);
	strbuf_free(&notes);
	free(path);
}

struct cfg *klipsrt_merge(struct daemon *d, const struct cfg *file)
{
	struct strbuf notes = STRBUF_INIT;
	struct cfg *c = klips_rt_merge(file, &d->krt, is_local, d, &notes);

	log_lines(LOG_INFO, "", &notes);
	strbuf_free(&notes);
	return c;
}

int klipsrt_reload(struct daemon *d, const struct cfg *file)
{
	struct strbuf text = STRBUF_INIT, notes = STRBUF_INIT;
	struct klips_rt k = { 0 };
	int r;

	if (!d->krt.nsa && !d->krt.nlink && !d->krt.ner)
		return 0;
	r = klips_rt_save(&d->krt, &text);
	if (r == 0)
		r = klips_rt_load(&k, file, text.s, &notes);
	if (text.s)
		OPENSSL_cleanse(text.s, text.cap);
	strbuf_free(&text);
	if (r < 0) {
		klips_rt_free(&k);
		strbuf_free(&notes);
		return r;
	}
	log_lines(LOG_NOTICE, "reload: the config wins: ", &notes);
	strbuf_free(&notes);
	klips_rt_free(&d->krt);
	d->krt = k;
	if (r > 0 && (r = save(d, &d->krt)) < 0)
		log_err("runtime objects: writing the file: %s", strerror(-r));
	return 0;
}

/* ---- the commands ---- */

static void txn_clear(struct klipsrt_txn *t)
{
	sadb_free(t->db);
	cfg_free(t->cfg);
	klips_rt_free(&t->next);
	t->db = NULL;
	t->cfg = NULL;
	t->ready = false;
	strbuf_free(&t->unfit);
	strbuf_free(&t->unfit_msgs);
	strbuf_free(&t->done);
}

/* Is the line @name (@len bytes) in @list? */
static bool listed(const struct strbuf *list, const char *name, int len)
{
	const char *p = list->s, *m;
	int n;

	while (next_line(&p, &m, &n))
		if (n == len && !memcmp(m, name, (size_t)len))
			return true;
	return false;
}

/* Does the model of @t leave out an object the running one does not (the
 * command made something that does not fit)? */
static bool unfit_more(const struct daemon *d, const struct klipsrt_txn *t)
{
	const char *p = t->unfit.s, *m;
	int n;

	while (next_line(&p, &m, &n))
		if (!listed(&d->unfit, m, n))
			return true;
	return false;
}

int klipsrt_txn_begin(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct daemon *d = arg;

	(void)call;
	if (d->krt_locked) {
		strbuf_printf(out, "runtime objects: %s\n", d->krt_why);
		return -EIO;
	}
	if (!d->txn && !(d->txn = calloc(1, sizeof(*d->txn))))
		return -ENOMEM;
	txn_clear(d->txn);
	return 0;
}

void klipsrt_txn_abort(void *arg, const struct cmd_call *call)
{
	struct daemon *d = arg;

	(void)call;
	if (d->txn)
		txn_clear(d->txn);
}

/* "PROG: text" lines of a model that cannot be built. */
static void build_errors(const struct klipsrt_txn *t, const struct cfg_errors *e, struct strbuf *out)
{
	for (size_t i = 0; i < e->n; i++) {
		const char *m = e->msg[i];

		if (!strncmp(m, "runtime objects: ", 17))
			m += 17;
		strbuf_printf(out, "%s: %s\n", t->prog, m);
	}
}

/* Parse @call's words as @cmd (word 0 is the program's name in messages),
 * apply them to a copy of d->krt and build the model they make. */
static int prepare(struct daemon *d, enum klips_cmd cmd, const struct cmd_call *call,
		   struct strbuf *out)
{
	struct klipsrt_txn *t = d->txn;
	struct cfg_errors errs = { 0 };
	struct klips_req req;
	struct klips_msg msg;
	int r;

	if (!t)
		return -EINVAL;
	r = klips_parse(cmd, call->argc, call->argv, NULL, NULL, &req, &msg);
	if (r != 1 || req.op == KLIPS_LIST) {
		klips_req_wipe(&req);
		strbuf_puts(out, r != 1 ? msg.err : "");
		if (r == 1)
			strbuf_printf(out, "%s: no change asked for (the lists are read with view-spi, "
				      "view-eroute and view)\n", req.prog);
		OPENSSL_cleanse(&msg, sizeof(msg));
		return -EINVAL;
	}
	snprintf(t->prog, sizeof(t->prog), "%s", req.prog);
	r = klips_rt_copy(&t->next, &d->krt);
	if (r == 0)
		r = klips_rt_apply(&t->next, d->file, &req, &t->done);
	klips_req_wipe(&req);
	if (r < 0) {
		/* the messages only: no "added ..." before a refusal */
		size_t pl = strlen(t->prog);
		const char *p = t->done.s, *m;
		int n;

		while (next_line(&p, &m, &n))
			if ((size_t)n > pl && !strncmp(m, t->prog, pl) && m[pl] == ':')
				strbuf_printf(out, "%.*s\n", n, m);
		return r;
	}
	{
		struct strbuf notes = STRBUF_INIT; /* logged when committed */

		t->cfg = klips_rt_merge(d->file, &t->next, is_local, d, &notes);
		strbuf_free(&notes);
	}
	if (!t->cfg)
		return -ENOMEM;
	d->txn_unfit = &t->unfit;
	d->txn_unfit_msgs = &t->unfit_msgs;
	t->db = reconcile_build(d, t->cfg, &errs);
	d->txn_unfit = d->txn_unfit_msgs = NULL;
	if (!t->db || unfit_more(d, t)) {
		struct cfg_errors why = { 0 };
		const char *p = t->unfit_msgs.s, *m;
		int n;

		while (next_line(&p, &m, &n))
			cfg_errors_add(&why, NULL, 0, "%.*s", n, m);
		build_errors(t, t->db ? &why : &errs, out);
		cfg_errors_free(&why);
		cfg_errors_free(&errs);
		return -EINVAL;
	}
	t->ready = true;
	if (t->done.s)
		strbuf_add(out, t->done.s, t->done.len);
	return out->oom ? -ENOMEM : 0;
}

int klipsrt_cmd_spi(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	return prepare(arg, KLIPS_SPI, call, out);
}

int klipsrt_cmd_spigrp(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	return prepare(arg, KLIPS_SPIGRP, call, out);
}

int klipsrt_cmd_eroute(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	return prepare(arg, KLIPS_EROUTE, call, out);
}

/* Put the old objects back after a refused change (the file first). */
static void undo(struct daemon *d, struct strbuf *out)
{
	struct cfg_errors errs = { 0 };
	struct cfg *ocfg = d->cfg, *c;
	struct sadb *db;
	struct strbuf ignore = STRBUF_INIT;
	int r = save(d, &d->krt);

	if (r < 0)
		log_err("runtime objects: restoring the file: %s", strerror(-r));
	c = klipsrt_merge(d, d->file);
	db = c ? reconcile_build(d, c, &errs) : NULL;
	if (!db || reconcile_runtime(d, db, c, "a refused runtime change was undone", &ignore) == -ENOMEM) {
		log_err("runtime objects: undoing a refused change failed; the model stays as the "
			"change left it");
		strbuf_puts(out, "undoing it failed: see the daemon's log\n");
		sadb_free(db);
		cfg_free(c);
	} else {
		cfg_free(ocfg);
	}
	cfg_errors_free(&errs);
	strbuf_free(&ignore);
}

int klipsrt_txn_commit(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct daemon *d = arg;
	struct klipsrt_txn *t = d->txn;
	struct cfg *ocfg = d->cfg;
	struct strbuf why = STRBUF_INIT;
	int r, n;

	if (!t || !t->ready)
		return -EINVAL;
	r = save(d, &t->next);
	if (r < 0) {
		strbuf_printf(out, "%s: cannot write the runtime objects' file: %s\n", t->prog,
			      strerror(-r));
		txn_clear(t);
		return r;
	}
	r = reconcile_runtime(d, t->db, t->cfg, "changed by a KLIPS command", &why);
	if (r == -ENOMEM) {
		save(d, &d->krt);
		txn_clear(t);
		return r;
	}
	/* the model is t->db and t->cfg now */
	t->db = NULL;
	t->cfg = NULL;
	for (const char *p = why.s, *m; next_line(&p, &m, &n);)
		strbuf_printf(out, "%s: %.*s\n", t->prog, n, m);
	strbuf_free(&why);
	if (r < 0) {
		strbuf_printf(out, "%s: nothing was changed\n", t->prog);
		undo(d, out); /* frees the config the refused model was built from */
		cfg_free(ocfg);
		txn_clear(t);
		reconcile_publish(d);
		return r;
	}
	cfg_free(ocfg);
	klips_rt_free(&d->krt);
	d->krt = t->next;
	memset(&t->next, 0, sizeof(t->next));
	strbuf_free(&d->unfit);
	d->unfit = t->unfit;
	memset(&t->unfit, 0, sizeof(t->unfit));
	txn_clear(t);
	log_info("%s (uid %u): runtime objects changed", call->argv[0], (unsigned)call->uid);
	reconcile_publish(d);
	return 0;
}

void klipsrt_free(struct daemon *d)
{
	if (d->txn) {
		txn_clear(d->txn);
		free(d->txn);
		d->txn = NULL;
	}
	klips_rt_free(&d->krt);
	strbuf_free(&d->unfit);
}
