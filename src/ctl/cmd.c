/* cmd.c: the command table's parser, checks, dispatch and help (cmd.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "escape.h"

#define CMD_HELP_COL 24 /* help text starts in this column */

static bool cmd_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

const struct cmd_def *cmd_find(const struct cmd_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->cmd[i].name, name) == 0)
			return &t->cmd[i];
	return NULL;
}

/* The line in @req: its length without the newline (and a "\r" before
 * it), or -EMSGSIZE when it is CMD_LINE_MAX bytes or longer. */
static ssize_t cmd_line_len(const char *req, size_t len)
{
	const char *nl;
	size_t n;

	nl = memchr(req, '\n', len < CMD_LINE_MAX ? len : CMD_LINE_MAX);
	if (!nl && len >= CMD_LINE_MAX)
		return -EMSGSIZE;
	n = nl ? (size_t)(nl - req) : len;
	if (n && req[n - 1] == '\r')
		n--;
	return (ssize_t)n;
}

/* Split the @n bytes at @line into @call's words.  0 or -E2BIG. */
static int cmd_split(const char *line, size_t n, struct cmd_call *call)
{
	size_t i = 0, at = 0;
	int nw = 0;

	while (i < n) {
		while (i < n && cmd_blank(line[i]))
			i++;
		if (i == n)
			break;
		if (nw == CMD_ARGS_MAX + 1) {
			call->word[nw] = NULL;
			return -E2BIG;
		}
		call->word[nw++] = call->words + at;
		while (i < n && !cmd_blank(line[i]))
			call->words[at++] = line[i++];
		call->words[at++] = '\0';
	}
	call->word[nw] = NULL;
	call->wordlen = at;
	call->argc = nw ? nw - 1 : 0;
	call->argv = call->word + 1;
	return nw;
}

int cmd_parse(const struct cmd_table *t, const void *req, size_t len, struct cmd_call *call,
	      struct reason *why)
{
	const char *line = req;
	ssize_t n;
	char *shown;
	int r;

	call->table = t;
	call->def = NULL;
	call->argc = 0;
	call->word[0] = NULL;
	call->argv = call->word + 1;
	call->wordlen = 0;
	n = cmd_line_len(line, len);
	if (n < 0) {
		reason_set(why, "request too long (at most %d bytes)", CMD_LINE_MAX - 1);
		return (int)n;
	}
	for (ssize_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			reason_set(why, "malformed request: control character 0x%02x at byte %zd",
				   ch, i);
			return -EINVAL;
		}
	}
	r = cmd_split(line, (size_t)n, call);
	if (r == 0) {
		reason_set(why, "empty request");
		return -EINVAL;
	}
	if (r < 0) {
		reason_set(why, "too many arguments (at most %d)", CMD_ARGS_MAX);
		return r;
	}
	call->def = cmd_find(t, call->word[0]);
	if (call->def)
		return 0;
	shown = escape_text(call->word[0], ESCAPE_NOCAP, CMD_NAME_SHOWN);
	if (!shown) {
		reason_set(why, "unknown command (try help)");
		return -ENOMEM;
	}
	reason_set(why, "unknown command \"%s\" (try help)", shown);
	free(shown);
	return -EINVAL;
}

bool cmd_needs_privilege(const struct cmd_def *def)
{
	return def->access != CMD_ANYONE;
}

int cmd_check_args(const struct cmd_call *call, struct reason *why)
{
	const struct cmd_def *d = call->def;

	if (call->argc > d->max_args) {
		if (d->max_args == 0)
			reason_set(why, "%s takes no arguments", d->name);
		else
			reason_set(why, "%s takes at most %d argument%s: %s %s", d->name,
				   d->max_args, d->max_args == 1 ? "" : "s", d->name, d->args);
		return -EINVAL;
	}
	if (call->argc < d->min_args) {
		reason_set(why, "%s needs at least %d argument%s: %s %s", d->name, d->min_args,
			   d->min_args == 1 ? "" : "s", d->name, d->args);
		return -EINVAL;
	}
	return d->check ? d->check(call, why) : 0;
}

static int cmd_neg(int r)
{
	return r > 0 ? -r : r;
}

int cmd_exec(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	const struct cmd_table *t = call->table;
	int r;

	if (!(call->def->flags & CMD_TXN))
		return cmd_neg(call->def->run(arg, call, out));
	if (!t->txn_begin || !t->txn_commit || !t->txn_abort) {
		strbuf_printf(out, "%s: this daemon runs no transactions\n", call->def->name);
		return -ENOSYS;
	}
	r = cmd_neg(t->txn_begin(arg, call, out));
	if (r < 0)
		return r;
	r = cmd_neg(call->def->run(arg, call, out));
	if (r < 0) {
		t->txn_abort(arg, call);
		return r;
	}
	return cmd_neg(t->txn_commit(arg, call, out));
}

void cmd_help(const struct cmd_table *t, struct strbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cmd_def *d = &t->cmd[i];
		size_t at = out->len;
		int w;

		strbuf_printf(out, "%s%s%s", d->name, d->args[0] ? " " : "", d->args);
		w = (int)(out->len - at);
		strbuf_printf(out, "%*s%s%s\n", w < CMD_HELP_COL ? CMD_HELP_COL - w : 1, "",
			      d->help, cmd_needs_privilege(d) ? " (root or control-group)" : "");
	}
}

int cmd_run_help(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	cmd_help(call->table, out);
	return out->oom ? -ENOMEM : 0;
}
