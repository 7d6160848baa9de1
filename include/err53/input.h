/* input.h - turns one command-line input (a file, '-', a folder) into
 * members, each a stream of byte blocks with its origin, pushed to a sink.
 *
 * Detection is by magic bytes only: plain text, gzip (own zlib loop,
 * concatenated members), tar / tar.gz / tar.bz2 / tar.xz / tar.zst / zip
 * through libarchive's streaming reader (no temporary files, compression
 * filters limited to gzip, bzip2, xz, zstd and lz4), UTF-16 text with a
 * byte order mark (decoded to UTF-8).  Archives nested in archives are read
 * as streams too, down to limits.max_nesting levels. */
#ifndef ERR53_INPUT_H
#define ERR53_INPUT_H

#include "err53/err53.h"

/* Where bytes come from.  input: the argument as given ("-" for stdin);
 * path: the file being read (the argument itself, or a file inside a
 * folder); member: the archive entry (nested entries joined with '/'), or
 * NULL for a plain or gzip file. */
struct e53_origin {
	const char *input;
	const char *path;
	const char *member;
};

/* The callbacks of a scan.  Messages passed to error/warning are only valid
 * during the call.  member_begin may return false to skip the member (it is
 * then neither read nor decompressed where the format allows). */
struct e53_sink {
	void *ctx;
	/* Optional: called for each archive entry and each file of a folder
	 * before any of it is read; false skips it cheaply. */
	bool (*want)(void *ctx, const struct e53_origin *o);
	bool (*member_begin)(void *ctx, const struct e53_origin *o);
	void (*data)(void *ctx, const char *p, size_t n);
	void (*member_end)(void *ctx, const struct e53_origin *o);
	/* A read problem: the input or member was refused or cut short. */
	void (*error)(void *ctx, const struct e53_origin *o, e53_status st, const char *msg);
	/* Something worth telling that loses no data (a skipped tree). */
	void (*warning)(void *ctx, const struct e53_origin *o, const char *msg);
};

/* "zlib", or "ISA-L" when built with make ISAL=1. */
extern const char e53_inflate_name[];

struct e53_scan_stats {
	uint64_t bytes;     /* bytes delivered to the sink (after decompression) */
	uint64_t members;   /* members delivered */
	unsigned errors;    /* error callbacks made */
};

/* Scans one input.  path "-" reads standard input (stdin_fd).  Returns
 * E53_OK when everything was read in full, else the first error status (the
 * error callback has then been called with the details; reading went on
 * wherever it could). */
e53_status e53_scan_path(const char *path, const struct e53_limits *lim,
			 const struct e53_sink *sink, struct e53_scan_stats *stats);

/* Same for an in-memory input (fuzzing, tests); name is used as the path. */
e53_status e53_scan_mem(const char *name, const void *data, size_t len,
			const struct e53_limits *lim, const struct e53_sink *sink,
			struct e53_scan_stats *stats);

/* Same for an open descriptor (stdin, FIFOs); the descriptor is not closed. */
e53_status e53_scan_fd(const char *name, int fd, const struct e53_limits *lim,
		       const struct e53_sink *sink, struct e53_scan_stats *stats);

#endif
