/* testutil.h - helpers shared by the unit tests: a growable byte buffer,
 * temporary directories (created under /tmp, removed recursively), writing
 * files, and building real compressed data and archives through zlib and
 * libarchive.  Everything is static so each test file can include it alone.
 * Failures abort the test through Criterion's cr_assert. */
#ifndef ERR53_TESTUTIL_H
#define ERR53_TESTUTIL_H

#include <criterion/criterion.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- byte buffer ------------------------------------------------------- */

struct tbuf {
	unsigned char *p;
	size_t len, alloc;
};

static inline void tbuf_add(struct tbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->alloc) {
		size_t na = b->alloc ? b->alloc : 256;

		while (na < b->len + n + 1)
			na *= 2;
		b->p = realloc(b->p, na);
		cr_assert_not_null(b->p, "out of memory");
		b->alloc = na;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void tbuf_adds(struct tbuf *b, const char *s)
{
	tbuf_add(b, s, strlen(s));
}

static inline void tbuf_addc(struct tbuf *b, unsigned char c)
{
	tbuf_add(b, &c, 1);
}

static inline void tbuf_free(struct tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static inline uint32_t t_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* A text of numbered lines, n bytes long exactly (last line may be short). */
static inline void t_text(struct tbuf *b, size_t n, const char *tag)
{
	size_t start = b->len;
	unsigned i = 0;

	while (b->len - start < n) {
		char line[96];
		int k = snprintf(line, sizeof line, "%s line %u: the quick brown fox\n", tag, i++);
		size_t left = n - (b->len - start);

		tbuf_add(b, line, (size_t)k < left ? (size_t)k : left);
	}
}

/* ---- temporary directories and files ----------------------------------- */

static inline char *t_mkdtemp(void)
{
	char *d = strdup("/tmp/e53test.XXXXXX");

	cr_assert_not_null(d);
	cr_assert_not_null(mkdtemp(d), "mkdtemp: %s", strerror(errno));
	return d;
}

static inline char *t_path(const char *dir, const char *rel)
{
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(n);

	cr_assert_not_null(p);
	snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

static int t_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static int t_chmod_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR || flag == FTW_DP)
		chmod(path, 0755);
	else if (flag == FTW_F && st && !(st->st_mode & S_IRUSR))
		chmod(path, 0644);
	return 0;
}

/* Removes dir and everything in it (symlinks are not followed). */
static inline void t_rmtree(char *dir)
{
	if (!dir)
		return;
	chmod(dir, 0755);
	nftw(dir, t_chmod_cb, 16, FTW_PHYS);
	nftw(dir, t_rm_cb, 16, FTW_PHYS | FTW_DEPTH);
	free(dir);
}

static inline void t_mkdir(const char *dir, const char *rel)
{
	char *p = t_path(dir, rel);

	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
	free(p);
}

/* Writes a file; returns its full path (to free). */
static inline char *t_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char *p = t_path(dir, rel);
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f, "fopen %s: %s", p, strerror(errno));
	if (len)
		cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return p;
}

static inline void t_slurp(const char *path, struct tbuf *out)
{
	FILE *f = fopen(path, "rb");
	char tmp[8192];
	size_t n;

	cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		tbuf_add(out, tmp, n);
	fclose(f);
}

/* ---- gzip through zlib ---------------------------------------------- */

/* Appends one complete gzip member holding data to out. */
static inline void t_gzip(struct tbuf *out, const void *data, size_t len)
{
	z_stream z;
	unsigned char tmp[16384];
	int ret;

	memset(&z, 0, sizeof z);
	cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof tmp;
		ret = deflate(&z, Z_FINISH);
		cr_assert(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR);
		tbuf_add(out, tmp, sizeof tmp - z.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
}

/* ---- archives through libarchive ----------------------------------- */

struct t_entry {
	const char *name;
	const void *data;   /* NULL with len 0 and dir true: a directory */
	size_t len;
	bool dir;
};

enum t_fmt { T_TAR, T_ZIP };
enum t_filter { T_NONE, T_GZIP, T_BZIP2, T_XZ };

static la_ssize_t t_ar_write_cb(struct archive *a, void *ud, const void *p, size_t n)
{
	(void)a;
	tbuf_add(ud, p, n);
	return (la_ssize_t)n;
}

/* Builds an archive in memory.  Returns false (nothing written) when this
 * libarchive cannot write the requested filter. */
static inline bool t_archive(struct tbuf *out, enum t_fmt fmt, enum t_filter filter,
			     const struct t_entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	int r = ARCHIVE_OK;
	size_t i;

	cr_assert_not_null(a);
	if (fmt == T_TAR)
		cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	else
		cr_assert_eq(archive_write_set_format_zip(a), ARCHIVE_OK);
	switch (filter) {
	case T_NONE: r = archive_write_add_filter_none(a); break;
	case T_GZIP: r = archive_write_add_filter_gzip(a); break;
	case T_BZIP2: r = archive_write_add_filter_bzip2(a); break;
	case T_XZ: r = archive_write_add_filter_xz(a); break;
	}
	if (r != ARCHIVE_OK) {
		archive_write_free(a);
		return false;
	}
	cr_assert_eq(archive_write_open(a, out, NULL, t_ar_write_cb, NULL), ARCHIVE_OK,
		     "archive_write_open: %s", archive_error_string(a));
	for (i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();

		archive_entry_set_pathname(ent, e[i].name);
		archive_entry_set_mtime(ent, 1700000000, 0);
		if (e[i].dir) {
			archive_entry_set_filetype(ent, AE_IFDIR);
			archive_entry_set_perm(ent, 0755);
			archive_entry_set_size(ent, 0);
		} else {
			archive_entry_set_filetype(ent, AE_IFREG);
			archive_entry_set_perm(ent, 0644);
			archive_entry_set_size(ent, (la_int64_t)e[i].len);
		}
		cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK,
			     "archive_write_header %s: %s", e[i].name, archive_error_string(a));
		if (!e[i].dir && e[i].len)
			cr_assert_eq(archive_write_data(a, e[i].data, e[i].len), (la_ssize_t)e[i].len,
				     "archive_write_data: %s", archive_error_string(a));
		archive_entry_free(ent);
	}
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK, "archive_write_close: %s",
		     archive_error_string(a));
	archive_write_free(a);
	return true;
}

/* A single compressed file (no archive): libarchive's "raw" writer. */
static inline bool t_raw_compress(struct tbuf *out, enum t_filter filter, const void *data, size_t len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent;
	int r = ARCHIVE_OK;

	cr_assert_not_null(a);
	cr_assert_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
	switch (filter) {
	case T_NONE: r = archive_write_add_filter_none(a); break;
	case T_GZIP: r = archive_write_add_filter_gzip(a); break;
	case T_BZIP2: r = archive_write_add_filter_bzip2(a); break;
	case T_XZ: r = archive_write_add_filter_xz(a); break;
	}
	if (r != ARCHIVE_OK) {
		archive_write_free(a);
		return false;
	}
	cr_assert_eq(archive_write_open(a, out, NULL, t_ar_write_cb, NULL), ARCHIVE_OK);
	ent = archive_entry_new();
	archive_entry_set_pathname(ent, "data");
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_size(ent, (la_int64_t)len);
	cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK, "%s", archive_error_string(a));
	cr_assert_eq(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(ent);
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return true;
}

#endif
