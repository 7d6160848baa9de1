/* analyze.h - one input through the whole pipeline (input -> lines -> rules
 * -> sessions -> diagnosis -> rendering) into an in-memory result.  One
 * analyzer per thread; the rule set is shared read-only. */
#ifndef ERR53_ANALYZE_H
#define ERR53_ANALYZE_H

#include "err53/err53.h"
#include "err53/rules.h"

enum e53_format {
	E53_FMT_TEXT,
	E53_FMT_MARKDOWN,
	E53_FMT_NDJSON,
	E53_FMT_CSV,
	E53_FMT_EVENTS,
};

struct e53_redactor;

struct e53_options {
	enum e53_format format;
	struct e53_limits lim;
	bool color;                   /* ANSI colour in text output */
	uint64_t *progress;           /* if set: bytes read, added atomically */
	struct e53_redactor *redact;  /* NULL: no redaction; shared by threads */
};

/* Verdicts and outcomes, in report order. */
enum e53_outcome { E53_OUT_SUCCESS, E53_OUT_FAILURE, E53_OUT_INCOMPLETE, E53_OUT__COUNT };
enum e53_verdict {
	E53_V_BIOMETRIC, E53_V_CABLE, E53_V_FDR_SERVICE, E53_V_FACTORY_DATA,
	E53_V_UNDETERMINED, E53_V_NOT_ERROR53, E53_V__COUNT
};
const char *e53_outcome_name(enum e53_outcome o);
const char *e53_verdict_name(enum e53_verdict v);

struct e53_code_count {
	long code;
	uint64_t n;
};

/* One closing-table row per session (text and markdown reports). */
struct e53_row {
	char source[1100];
	char device[64];
	enum e53_outcome outcome;
	long code;                    /* 0: none */
	enum e53_verdict verdict;
};

struct e53_result {
	struct e53_buf out;           /* the report of this input */
	struct e53_buf msgs;          /* messages for stderr, one per line */
	uint64_t bytes, lines;
	uint64_t sessions, input_errors;
	uint64_t by_outcome[E53_OUT__COUNT];
	uint64_t by_verdict[E53_V__COUNT];
	struct e53_code_count *by_code;
	size_t n_codes;
	struct e53_row *rows;
	size_t n_rows;
	size_t rows_dropped;          /* rows past E53_MAX_ROWS, counted only */
	bool refused;                 /* an input was cut or refused (exit 2) */
	/* Optional: called when out grows past E53_FLUSH_BYTES, so a large
	 * input's report streams instead of growing in memory; the callee
	 * writes out (in order) and empties it. */
	void (*flush)(void *ctx, struct e53_result *r);
	void *flush_ctx;
};

#define E53_FLUSH_BYTES (1u << 20)
#define E53_MAX_ROWS 2000

void e53_result_init(struct e53_result *r);
void e53_result_release(struct e53_result *r);
/* Adds src's counters (not its text) into dst. */
e53_status e53_result_merge_counts(struct e53_result *dst, const struct e53_result *src);

struct e53_analyzer;

struct e53_analyzer *e53_analyzer_new(const struct e53_rules *rs, const struct e53_options *opt);
void e53_analyzer_free(struct e53_analyzer **an);
/* Analyzes one input (path, "-" for stdin, folder); fills res. */
e53_status e53_analyze(struct e53_analyzer *an, const char *input, struct e53_result *res);
/* Same on memory (fuzzing, tests). */
e53_status e53_analyze_mem(struct e53_analyzer *an, const char *name, const void *data,
			   size_t len, struct e53_result *res);

/* Report pieces the front end prints around the per-input results. */
void e53_render_summary(const struct e53_options *opt, const struct e53_result *total,
			uint64_t inputs, struct e53_buf *out);
void e53_render_header(const struct e53_options *opt, struct e53_buf *out);

#endif
