/* seqstore.c: the persisted outbound sequence numbers (seqstore.h).
 *
 * Records live in an array in file order, found through one hash index
 * over the SAID.  Each record keeps the value on disk (`disk`) and the
 * value set since (`want`); seqstore_sync() writes `want` and, on success,
 * makes it `disk`; on failure `want` falls back to `disk`.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "seqstore.h"
#include "statefile.h"
#include "strbuf.h"

#define SEQ_MAGIC "# spigrpd seq v1"
#define SEQ_HEADER SEQ_MAGIC ": per outbound SA (SAID) the highest sequence number " \
	"that may have been used; written by spigrpd; never edit, never lower\n"
/* comment and empty lines allowed besides the records */
#define SEQ_MAX_OTHER_LINES 1024u

struct seq_rec {
	struct said sa;
	uint64_t disk, want;
};

struct seqstore {
	char path[PATH_MAX];
	struct seq_rec *r;
	size_t n, cap;
	struct hidx idx;
	bool dirty;
};

static uint64_t said_hash(const struct said *sa)
{
	uint64_t h = hash_bytes(HASH_INIT, &sa->proto, sizeof(sa->proto));

	h = hash_bytes(h, &sa->spi, sizeof(sa->spi));
	h = hash_bytes(h, &sa->dst.family, sizeof(sa->dst.family));
	return hash_bytes(h, sa->dst.b, ip_addr_len(&sa->dst));
}

static struct seq_rec *find(const struct seqstore *s, const struct said *sa)
{
	size_t pos = 0, k;

	while (hidx_next(&s->idx, said_hash(sa), &pos, &k))
		if (said_equal(&s->r[k].sa, sa))
			return &s->r[k];
	return NULL;
}

static int add(struct seqstore *s, const struct said *sa, uint64_t disk, uint64_t want)
{
	if (s->n >= SEQSTORE_MAX_RECORDS)
		return -EFBIG;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct seq_rec *r = realloc(s->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->r = r;
		s->cap = cap;
	}
	if (hidx_put(&s->idx, said_hash(sa), s->n) < 0)
		return -ENOMEM;
	s->r[s->n++] = (struct seq_rec){ .sa = *sa, .disk = disk, .want = want };
	return 0;
}

static bool has_seq(const struct said *sa)
{
	return sa->proto == SAID_PROTO_ESP || sa->proto == SAID_PROTO_AH;
}

/* "0x" and 1..16 hex digits, then the end of @p. */
static bool parse_hex64(const char *p, uint64_t *v)
{
	size_t i;

	if (p[0] != '0' || p[1] != 'x')
		return false;
	*v = 0;
	for (i = 2; p[i]; i++) {
		int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return false;
		if (i - 2 >= 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	return i > 2;
}

/* One record line (without its newline).  0 or -EINVAL. */
static int parse_record(struct seqstore *s, char *line, struct reason *why)
{
	char *sp = strchr(line, ' '), err[128];
	struct said sa;
	uint64_t upto;
	int rc;

	if (!sp) {
		reason_set(why, "not a \"SAID 0xUPTO\" line");
		return -EINVAL;
	}
	*sp = '\0';
	if (said_parse(line, &sa, err, sizeof(err)) < 0) {
		reason_set(why, "%s", err);
		return -EINVAL;
	}
	if (!has_seq(&sa)) {
		reason_set(why, "%s has no sequence numbers (not ESP or AH)", line);
		return -EINVAL;
	}
	if (!parse_hex64(sp + 1, &upto)) {
		reason_set(why, "bad sequence number (want 0x and 1 to 16 hex digits)");
		return -EINVAL;
	}
	if (find(s, &sa)) {
		reason_set(why, "%s recorded twice", line);
		return -EINVAL;
	}
	rc = add(s, &sa, upto, upto);
	if (rc == -EFBIG)
		reason_set(why, "more than %u records", SEQSTORE_MAX_RECORDS);
	else if (rc < 0)
		reason_set(why, "out of memory");
	return rc;
}

/* Is @fd a regular file of ours that only we may read and write? */
static int check_file(int fd, struct reason *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		reason_set(why, "not a regular file");
		return -EPERM;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		reason_set(why, "owner %u mode %04o (want %u and 0600)", (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

/* Read the lines of @f: the header first, then records and comments.
 * @lineno is set to the line at fault on error. */
static int parse_file(struct seqstore *s, FILE *f, unsigned *lineno, struct reason *why)
{
	char line[SEQSTORE_LINE_MAX + 2];
	unsigned other = 0;

	*lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		int rc;

		++*lineno;
		if (len == 0 || line[len - 1] != '\n') {
			reason_set(why, feof(f) ? "last line without a newline (cut short?)" :
				   "line longer than %d bytes", SEQSTORE_LINE_MAX);
			return feof(f) ? -EINVAL : -EFBIG;
		}
		line[--len] = '\0';
		if (*lineno == 1) {
			if (strncmp(line, SEQ_MAGIC, strlen(SEQ_MAGIC)) != 0 ||
			    !strchr(": ", line[strlen(SEQ_MAGIC)])) {
				reason_set(why, "not a spigrpd sequence file (first line is not \"%s...\")",
					   SEQ_MAGIC);
				return -EINVAL;
			}
			continue;
		}
		if (len == 0 || line[0] == '#') {
			if (++other > SEQ_MAX_OTHER_LINES) {
				reason_set(why, "more than %u comment lines", SEQ_MAX_OTHER_LINES);
				return -EFBIG;
			}
			continue;
		}
		rc = parse_record(s, line, why);
		if (rc < 0)
			return rc;
	}
	if (ferror(f))
		return -EIO;
	if (*lineno == 0) {
		reason_set(why, "empty (not written by spigrpd)");
		return -EINVAL;
	}
	return 0;
}

static int load(struct seqstore *s, struct reason *why)
{
	unsigned lineno = 0;
	FILE *f;
	int fd, rc;

	fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		reason_set(why, "%s: %s", s->path, strerror(-rc));
		return rc;
	}
	rc = check_file(fd, why);
	if (rc < 0) {
		close(fd);
		reason_prefix(why, "%s", s->path);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = parse_file(s, f, &lineno, why);
	fclose(f);
	if (rc < 0) {
		if (!why || !why->text[0])
			reason_set(why, "%s", strerror(-rc));
		reason_prefix(why, "%s:%u", s->path, lineno);
	}
	return rc;
}

int seqstore_open(struct seqstore **out, const char *dir, struct reason *why)
{
	struct seqstore *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s || hidx_init(&s->idx, 32) < 0) {
		free(s);
		reason_set(why, "out of memory");
		return -ENOMEM;
	}
	if (snprintf(s->path, sizeof(s->path), "%s/seq", dir) >= (int)sizeof(s->path)) {
		seqstore_close(s);
		reason_set(why, "%s/seq: path too long", dir);
		return -ENAMETOOLONG;
	}
	rc = load(s, why);
	if (rc < 0) {
		seqstore_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void seqstore_close(struct seqstore *s)
{
	if (!s)
		return;
	hidx_free(&s->idx);
	free(s->r);
	free(s);
}

bool seqstore_get(const struct seqstore *s, const struct said *sa, uint64_t *upto)
{
	const struct seq_rec *r = find(s, sa);

	if (r)
		*upto = r->want;
	return r != NULL;
}

uint64_t seqstore_first(const struct seqstore *s, const struct said *sa)
{
	uint64_t upto;

	if (!seqstore_get(s, sa, &upto))
		return 1;
	return upto == UINT64_MAX ? 0 : upto + 1;
}

int seqstore_set(struct seqstore *s, const struct said *sa, uint64_t upto)
{
	struct seq_rec *r;
	int rc;

	if (!has_seq(sa))
		return -EINVAL;
	r = find(s, sa);
	if (!r) {
		rc = add(s, sa, 0, upto);
		if (rc == 0)
			s->dirty = true;
		return rc;
	}
	if (upto > r->want) {
		r->want = upto;
		s->dirty = true;
	}
	return 0;
}

static char *render(const struct seqstore *s, size_t *len)
{
	struct strbuf b = STRBUF_INIT;
	char said[SAID_BUF];
	size_t i;

	strbuf_puts(&b, SEQ_HEADER);
	for (i = 0; i < s->n; i++) {
		said_format(&s->r[i].sa, 'f', said, sizeof(said));
		strbuf_printf(&b, "%s 0x%016llx\n", said, (unsigned long long)s->r[i].want);
	}
	return strbuf_take(&b, len);
}

int seqstore_sync(struct seqstore *s, struct reason *why)
{
	size_t i, len;
	char *text;
	int rc;

	if (!s->dirty)
		return 0;
	text = render(s, &len);
	rc = text ? statefile_write(s->path, text, len, 0600) : -ENOMEM;
	free(text);
	for (i = 0; i < s->n; i++) {
		if (rc == 0)
			s->r[i].disk = s->r[i].want;
		else
			s->r[i].want = s->r[i].disk;
	}
	s->dirty = false;
	if (rc < 0)
		reason_set(why, "%s: %s", s->path, strerror(-rc));
	return rc;
}

int seqstore_reserve(struct seqstore *s, const struct said *sa, uint64_t upto,
		     struct reason *why)
{
	int rc = seqstore_set(s, sa, upto);

	if (rc < 0) {
		reason_set(why, "%s: %s", s->path, rc == -EFBIG ? "too many records" :
			   strerror(-rc));
		return rc;
	}
	return seqstore_sync(s, why);
}

uint64_t seqstore_room(uint64_t first, bool esn)
{
	if (!first)
		return 0;
	if (esn)
		return UINT64_MAX - first + 1; /* first >= 1: no overflow */
	return first > UINT32_MAX ? 0 : (uint64_t)UINT32_MAX - first + 1;
}
