/* main.c - the err53-logscan command: options, the input list, a thread
 * pool running one input per job, output in input order, exit status.
 * Everything else lives in liberr53.a. */
#include "err53/analyze.h"
#include "err53/explain.h"
#include "err53/input.h"
#include "err53/redact.h"
#include "err53/prefilter.h"
#include "err53/rules.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <plist/plist.h>
#include <zlib.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static const char *prog = "err53-logscan";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [OPTION]... [INPUT]...\n"
"Analyze iPhone/iPad restore logs (iTunes, Finder, Apple Devices, Apple\n"
"Configurator, idevicerestore, futurerestore, device restore logs, iOS\n"
"sysdiagnose archives) and report each restore: device, target, where it\n"
"stopped, the error and, for Error 53, its cause with the evidence lines.\n"
"\n"
"INPUT is a file (plain text, UTF-16 with a byte order mark, gzip, bzip2, xz,\n"
"zstd or lz4; tar or zip archives, also compressed and nested), a folder\n"
"(walked recursively), or - for standard input (the default).\n"
"\n"
"Output:\n"
"  -f, --format=FMT        text (default), markdown, ndjson, csv, or events\n"
"  -o, --output=FILE       write the report to FILE instead of standard output\n"
"      --redact            replace serials, ECIDs, UDIDs, IMEIs and user names\n"
"                          with stable placeholders (SERIAL-1a2b3c4d, ...)\n"
"      --color=WHEN        colour the text report: auto (default), always, never\n"
"  -q, --quiet             no warnings or progress on standard error\n"
"\n"
"Inputs:\n"
"      --files-from=FILE   read input names from FILE, one per line (- = stdin)\n"
"      --files0-from=FILE  same, names separated by NUL bytes\n"
"  -j, --jobs=N            analyze N inputs at once (default 1)\n"
"      --no-pipeline       do each input's work in one thread (by default,\n"
"                          when a processor is spare, one more thread matches\n"
"                          the rules and one more inflates compressed input)\n"
"\n"
"Limits (suffixes K, M, G are powers of 1024):\n"
"      --max-member-bytes=N  bytes expanded per file or archive member (default 4G)\n"
"      --max-members=N       members per archive or files per folder (default 50000)\n"
"      --max-line=N          bytes kept of one line (default 64K)\n"
"      --max-nesting=N       archives inside archives (default 4)\n"
"      --max-plist-bytes=N   size of a property list (default 8M)\n"
"      --max-plist-depth=N   nesting of a property list (default 64)\n"
"\n"
"Rules and knowledge:\n"
"      --rules=FILE        add the rules in FILE (see err53-rules(5))\n"
"      --list-rules        print the rules in use and exit\n"
"      --list-literals     print the prefilter literals of the rules and exit\n"
"      --check-rules[=FILE]  check the built-in rules (and FILE) and exit\n"
"      --explain=CODE      explain an Apple restore error code and exit\n"
"\n"
"  -h, --help              show this help and exit\n"
"  -V, --version           show version and library versions and exit\n"
"\n"
"Exit status: 0 no restore failed, 1 a restore failed, 2 an input could not be\n"
"read in full or the command line was wrong.  See err53-logscan(1).\n",
		prog);
}

enum {
	OPT_FILES_FROM = 256, OPT_FILES0_FROM, OPT_MAX_MEMBER_BYTES, OPT_MAX_MEMBERS,
	OPT_MAX_LINE, OPT_MAX_NESTING, OPT_MAX_PLIST_BYTES, OPT_MAX_PLIST_DEPTH, OPT_RULES,
	OPT_LIST_RULES, OPT_LIST_LITERALS, OPT_CHECK_RULES, OPT_EXPLAIN, OPT_REDACT, OPT_COLOR,
	OPT_NO_PIPELINE,
};

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "files-from", required_argument, NULL, OPT_FILES_FROM },
	{ "files0-from", required_argument, NULL, OPT_FILES0_FROM },
	{ "max-member-bytes", required_argument, NULL, OPT_MAX_MEMBER_BYTES },
	{ "max-members", required_argument, NULL, OPT_MAX_MEMBERS },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-nesting", required_argument, NULL, OPT_MAX_NESTING },
	{ "max-plist-bytes", required_argument, NULL, OPT_MAX_PLIST_BYTES },
	{ "max-plist-depth", required_argument, NULL, OPT_MAX_PLIST_DEPTH },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
	{ "list-literals", no_argument, NULL, OPT_LIST_LITERALS },
	{ "check-rules", optional_argument, NULL, OPT_CHECK_RULES },
	{ "explain", required_argument, NULL, OPT_EXPLAIN },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "no-pipeline", no_argument, NULL, OPT_NO_PIPELINE },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ NULL, 0, NULL, 0 },
};

/* Parses a size with an optional K/M/G suffix; false on junk or overflow. */
static bool parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end)
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	v <<= shift;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

struct strv {
	char **v;
	size_t n, alloc;
};

static bool strv_push(struct strv *sv, const char *s, size_t len)
{
	if (sv->n == sv->alloc) {
		size_t na = sv->alloc ? sv->alloc * 2 : 16;
		char **p = realloc(sv->v, na * sizeof *p);

		if (!p)
			return false;
		sv->v = p;
		sv->alloc = na;
	}
	sv->v[sv->n] = malloc(len + 1);
	if (!sv->v[sv->n])
		return false;
	memcpy(sv->v[sv->n], s, len);
	sv->v[sv->n][len] = '\0';
	sv->n++;
	return true;
}

static void strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

/* Reads a list of input names; sep is '\n' or '\0'.  Empty names are
 * skipped; with '\n', a trailing CR is dropped (lists made on Windows). */
static bool read_list(const char *path, char sep, struct strv *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok = true;

	if (!f) {
		fprintf(stderr, "%s: %s: cannot open: %s\n", prog, path, strerror(errno));
		return false;
	}
	while ((n = getdelim(&line, &cap, sep, f)) > 0) {
		size_t len = (size_t)n;

		if (len && line[len - 1] == sep)
			len--;
		if (sep == '\n' && len && line[len - 1] == '\r')
			len--;
		if (!len)
			continue;
		if (!strv_push(out, line, len)) {
			ok = false;
			break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: read error: %s\n", prog, path, strerror(errno));
		ok = false;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ok;
}

struct pool;

struct job {
	struct e53_result res;
	e53_status st;
	bool done;
	struct pool *pool;
	size_t index;
	FILE *spill;      /* report written while other inputs were ahead */
	bool spill_failed;
};

struct pool {
	const struct e53_rules *rs;
	const struct e53_options *opt;
	struct strv *inputs;
	struct job *jobs;
	size_t next;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool oom;
	size_t printing;     /* the job whose output may be written now */
	FILE *out;
};

/* An unlinked temporary file in $TMPDIR (or /tmp): gone when closed. */
static FILE *spill_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;
	FILE *f;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/err53-logscan.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

/* Set when a report kept in a temporary file could not be read back. */
static bool spill_lost;

/* Copies a job's spilled report to the output, then drops the spill: in
 * the kernel (sendfile) where it can, else through a buffer. */
static void unspill(struct job *j, FILE *out)
{
	char buf[65536];
	size_t n;
	off_t len, pos = 0;

	if (!j->spill)
		return;
	len = fflush(j->spill) == 0 ? ftello(j->spill) : -1;
	if (len < 0) {
		spill_lost = true;
		goto done;
	}
	if (fflush(out) == 0) {
		while (pos < len) {
			ssize_t k = sendfile(fileno(out), fileno(j->spill), &pos, (size_t)(len - pos));

			if (k <= 0)
				break;
		}
	}
	if (pos == len)
		goto done;
	if (fseeko(j->spill, pos, SEEK_SET) != 0) {
		spill_lost = true;
		goto done;
	}
	while ((n = fread(buf, 1, sizeof buf, j->spill)) > 0)
		fwrite(buf, 1, n, out);
	if (ferror(j->spill))
		spill_lost = true;
done:
	fclose(j->spill);
	j->spill = NULL;
}

/* A large report streams out as it grows when its input is next in line;
 * otherwise it goes to an unlinked temporary file until its turn, so the
 * workers never wait for each other and memory stays bounded.  Only if no
 * temporary file can be made does a worker wait for its turn. */
static void flush_job(void *ctx, struct e53_result *r)
{
	struct job *j = ctx;
	struct pool *p = j->pool;
	bool head;

	pthread_mutex_lock(&p->mu);
	head = p->printing == j->index;
	pthread_mutex_unlock(&p->mu);
	if (!head && !j->spill && !j->spill_failed) {
		j->spill = spill_file();
		j->spill_failed = j->spill == NULL;
	}
	if (!head && j->spill) {
		if (fwrite(r->out.data, 1, r->out.len, j->spill) == r->out.len) {
			e53_buf_reset(&r->out);
			return;
		}
		/* the disk is full: fall back to waiting for the turn */
		j->spill_failed = true;
	}
	if (!head) {
		pthread_mutex_lock(&p->mu);
		while (p->printing != j->index)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
	unspill(j, p->out);
	if (r->out.len)
		fwrite(r->out.data, 1, r->out.len, p->out);
	e53_buf_reset(&r->out);
}

static void run_job(struct e53_analyzer *an, const char *input, struct job *j)
{
	e53_result_init(&j->res);
	j->res.flush = flush_job;
	j->res.flush_ctx = j;
	j->st = e53_analyze(an, input, &j->res);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct e53_analyzer *an = e53_analyzer_new(p->rs, p->opt);

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		if (!an)
			p->oom = true;
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->inputs->n)
			break;
		if (an)
			run_job(an, p->inputs->v[i], &p->jobs[i]);
		else {
			e53_result_init(&p->jobs[i].res);
			p->jobs[i].st = E53_ENOMEM;
		}
		pthread_mutex_lock(&p->mu);
		p->jobs[i].done = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	e53_analyzer_free(&an);
	return NULL;
}

static bool quiet;

/* The progress line: on a terminal only, for runs longer than a second,
 * redrawn in place; messages clear it before they print. */
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;
static bool progress_shown;

struct progress {
	pthread_t th;
	bool on;
	bool stop;
	uint64_t bytes;       /* updated by the analyzers */
	size_t done, total;   /* inputs */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void progress_clear_locked(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *progress_main(void *arg)
{
	struct progress *pg = arg;
	double t0 = now();

	pthread_mutex_lock(&pg->mu);
	while (!pg->stop) {
		struct timespec until;
		double el;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pg->cv, &pg->mu, &until);
		el = now() - t0;
		if (pg->stop || el < 1.0)
			continue;
		{
			uint64_t b = __atomic_load_n(&pg->bytes, __ATOMIC_RELAXED);

			pthread_mutex_lock(&err_mu);
			size_t done = __atomic_load_n(&pg->done, __ATOMIC_RELAXED);

			fprintf(stderr, "\r\033[K%s: %zu/%zu inputs, %.1f MiB, %.1f MiB/s", prog, done, pg->total,
				(double)b / 1048576.0, (double)b / 1048576.0 / el);
			progress_shown = true;
			fflush(stderr);
			pthread_mutex_unlock(&err_mu);
		}
	}
	pthread_mutex_unlock(&pg->mu);
	return NULL;
}

static void progress_stop(struct progress *pg)
{
	if (!pg->on)
		return;
	pthread_mutex_lock(&pg->mu);
	pg->stop = true;
	pthread_cond_broadcast(&pg->cv);
	pthread_mutex_unlock(&pg->mu);
	pthread_join(pg->th, NULL);
	pthread_mutex_lock(&err_mu);
	progress_clear_locked();
	pthread_mutex_unlock(&err_mu);
	pg->on = false;
}

static void print_msgs(const struct e53_buf *msgs)
{
	const char *p = msgs->data, *end = p ? p + msgs->len : NULL;

	if (!p)
		return;
	pthread_mutex_lock(&err_mu);
	progress_clear_locked();
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* warnings are marked so --quiet can drop them */
		if (!(quiet && n > 2 && p[0] == 'W' && p[1] == ' '))
			fprintf(stderr, "%s: %.*s\n", prog,
				(int)(n > 2 && (p[0] == 'W' || p[0] == 'E') && p[1] == ' ' ? n - 2 : n),
				n > 2 && (p[0] == 'W' || p[0] == 'E') && p[1] == ' ' ? p + 2 : p);
		p += n + 1;
	}
	pthread_mutex_unlock(&err_mu);
}

static void print_versions(void)
{
	char pcre[64];
	uint32_t jit = 0;

	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	printf("%s %s (report schema %s)\n", prog, E53_VERSION, E53_SCHEMA);
	printf("libraries: PCRE2 %s, zlib %s, %s, libplist %s\n", pcre, zlibVersion(),
	       archive_version_string(), E53_PLIST_VERSION);
	printf("gzip inflater: %s; regular expressions: %s; literal scan: %s\n", e53_inflate_name,
	       pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit ? "PCRE2 JIT" : "PCRE2 interpreter",
	       e53_prefilter_default_engine());
}

int main(int argc, char **argv)
{
	struct e53_options opt;
	struct strv inputs = { 0 }, rule_files = { 0 };
	const char *output = NULL, *color = "auto";
	const char *check_file = NULL, *explain = NULL;
	bool list_rules = false, list_literals = false, check_rules = false, redact = false;
	bool usage_error = false, lists_given = false;
	unsigned long jobs = 1;
	bool pipeline = true;
	struct e53_rules *rs = NULL;
	struct e53_buf diag;
	FILE *out = stdout;

	/* The heap is reused block after block: freed memory stays for the next
	 * block instead of going back to the kernel and faulting in again. */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	int c, rc = 0;
	size_t i;
	struct e53_result total;
	struct progress pg;
	uint64_t v;

	memset(&opt, 0, sizeof opt);
	e53_limits_default(&opt.lim);
	opt.format = E53_FMT_TEXT;
	if (argc > 0)
		argv[0] = (char *)prog; /* getopt's messages name the program plainly */
	while ((c = getopt_long(argc, argv, "f:o:j:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "text")) opt.format = E53_FMT_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) opt.format = E53_FMT_MARKDOWN;
			else if (!strcmp(optarg, "ndjson") || !strcmp(optarg, "json")) opt.format = E53_FMT_NDJSON;
			else if (!strcmp(optarg, "csv")) opt.format = E53_FMT_CSV;
			else if (!strcmp(optarg, "events")) opt.format = E53_FMT_EVENTS;
			else {
				fprintf(stderr, "%s: unknown format '%s' (text, markdown, ndjson, csv, events)\n",
					prog, optarg);
				usage_error = true;
			}
			break;
		case 'o': output = optarg; break;
		case 'j':
			if (!parse_size(optarg, 1, 256, &v)) {
				fprintf(stderr, "%s: --jobs wants a number from 1 to 256, not '%s'\n", prog, optarg);
				usage_error = true;
			} else
				jobs = (unsigned long)v;
			break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': print_versions(); return 0;
		case OPT_FILES_FROM:
		case OPT_FILES0_FROM:
			lists_given = true;
			if (!read_list(optarg, c == OPT_FILES_FROM ? '\n' : '\0', &inputs))
				usage_error = true;
			break;
#define SIZE_OPT(id, name, field, min, max, type) \
		case id: \
			if (!parse_size(optarg, min, max, &v)) { \
				fprintf(stderr, "%s: --%s wants a size from %llu to %llu, not '%s'\n", prog, name, \
					(unsigned long long)(min), (unsigned long long)(max), optarg); \
				usage_error = true; \
			} else \
				opt.lim.field = (type)v; \
			break;
		SIZE_OPT(OPT_MAX_MEMBER_BYTES, "max-member-bytes", max_member_bytes, 1, UINT64_MAX >> 1, uint64_t)
		SIZE_OPT(OPT_MAX_MEMBERS, "max-members", max_members, 1, 100000000ULL, uint64_t)
		SIZE_OPT(OPT_MAX_LINE, "max-line", max_line, 16, 64ULL << 20, size_t)
		SIZE_OPT(OPT_MAX_NESTING, "max-nesting", max_nesting, 0, 16, unsigned)
		SIZE_OPT(OPT_MAX_PLIST_BYTES, "max-plist-bytes", max_plist, 64, 1ULL << 30, size_t)
		SIZE_OPT(OPT_MAX_PLIST_DEPTH, "max-plist-depth", max_plist_depth, 1, 250, unsigned)
#undef SIZE_OPT
		case OPT_RULES:
			if (!strv_push(&rule_files, optarg, strlen(optarg)))
				return 2;
			break;
		case OPT_LIST_RULES: list_rules = true; break;
		case OPT_LIST_LITERALS: list_literals = true; break;
		case OPT_CHECK_RULES:
			check_rules = true;
			check_file = optarg;
			break;
		case OPT_EXPLAIN: explain = optarg; break;
		case OPT_REDACT: redact = true; break;
		case OPT_NO_PIPELINE: pipeline = false; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
				fprintf(stderr, "%s: --color wants auto, always or never, not '%s'\n", prog, optarg);
				usage_error = true;
			}
			color = optarg;
			break;
		default:
			usage_error = true;
			break;
		}
	}
	if (usage_error) {
		fprintf(stderr, "Try '%s --help' for more information.\n", prog);
		strv_free(&inputs);
		strv_free(&rule_files);
		return 2;
	}
	if (explain) {
		struct e53_buf b;
		e53_status st;

		e53_buf_init(&b, 0);
		st = e53_explain(explain, &b);
		if (st)
			fprintf(stderr, "%s: --explain: '%s' is not a restore error code\n", prog, explain);
		else
			fputs(b.data, stdout);
		e53_buf_release(&b);
		return st ? 2 : 0;
	}

	e53_buf_init(&diag, 1u << 20);
	rs = e53_rules_new();
	if (!rs)
		return 2;
	{
		e53_status st = e53_rules_add_builtin(rs, &diag);

		for (i = 0; i < rule_files.n && !st; i++)
			st = e53_rules_load_file(rs, rule_files.v[i], &diag);
		if (!st && check_file)
			st = e53_rules_load_file(rs, check_file, &diag);
		if (!st)
			st = e53_rules_compile(rs, &diag);
		if (diag.len && (st || check_rules || !quiet))
			fputs(diag.data, stderr);
		if (st) {
			fprintf(stderr, "%s: the rules have errors; nothing analyzed\n", prog);
			e53_rules_free(&rs);
			e53_buf_release(&diag);
			strv_free(&inputs);
			strv_free(&rule_files);
			return 2;
		}
	}
	e53_buf_release(&diag);
	if (check_rules || list_rules || list_literals) {
		struct e53_buf b;

		e53_buf_init(&b, 0);
		if (list_rules)
			e53_rules_list(rs, &b);
		if (list_literals)
			e53_rules_literals(rs, &b);
		if (check_rules)
			e53_buf_addf(&b, "%zu rules OK%s\n", e53_rules_count(rs),
				     e53_rules_jit(rs) ? " (JIT)" : " (interpreter)");
		if (b.data)
			fputs(b.data, stdout);
		e53_buf_release(&b);
		e53_rules_free(&rs);
		strv_free(&inputs);
		strv_free(&rule_files);
		return fflush(stdout) == 0 ? 0 : 2;
	}

	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (!strv_push(&inputs, argv[i], strlen(argv[i])))
			return 2;
	/* stdin by default, unless a (possibly empty) list named the inputs */
	if (!inputs.n && !lists_given) {
		strv_push(&inputs, "-", 1);
		if (isatty(STDIN_FILENO) && !quiet)
			fprintf(stderr, "%s: reading a restore log from the terminal (end with Ctrl-D; --help for usage)\n",
				prog);
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "%s: %s: cannot create: %s\n", prog, output, strerror(errno));
			return 2;
		}
	}
	if (!strcmp(color, "always"))
		opt.color = true;
	else if (!strcmp(color, "auto"))
		opt.color = !output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
			    (!getenv("TERM") || strcmp(getenv("TERM"), "dumb"));

	if (redact && !(opt.redact = e53_redactor_new())) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}
	e53_result_init(&total);
	memset(&pg, 0, sizeof pg);
	pg.total = inputs.n;
	if (!quiet && isatty(STDERR_FILENO)) {
		pthread_mutex_init(&pg.mu, NULL);
		pthread_cond_init(&pg.cv, NULL);
		opt.progress = &pg.bytes;
		pg.on = pthread_create(&pg.th, NULL, progress_main, &pg) == 0;
		if (!pg.on)
			opt.progress = NULL;
	}
	{
		struct e53_buf head;

		e53_buf_init(&head, 0);
		e53_render_header(&opt, &head);
		if (head.len)
			fwrite(head.data, 1, head.len, out);
		e53_buf_release(&head);
	}
	{
		struct pool p;
		pthread_t *th = NULL;
		size_t nth = jobs < inputs.n ? jobs : inputs.n;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		/* a spare processor inflates while the worker parses */
		opt.lim.pipeline = pipeline && ncpu > 0 && nth < (size_t)ncpu;

		memset(&p, 0, sizeof p);
		p.rs = rs;
		p.opt = &opt;
		p.inputs = &inputs;
		p.jobs = calloc(inputs.n, sizeof *p.jobs);
		pthread_mutex_init(&p.mu, NULL);
		pthread_cond_init(&p.cv, NULL);
		if (!p.jobs)
			return 2;
		p.out = out;
		for (i = 0; i < inputs.n; i++) {
			p.jobs[i].pool = &p;
			p.jobs[i].index = i;
		}
		if (nth > 1) {
			th = calloc(nth, sizeof *th);
			for (i = 0; th && i < nth; i++)
				if (pthread_create(&th[i], NULL, worker, &p)) {
					nth = i;
					break;
				}
		}
		{
			struct e53_analyzer *an = nth > 1 ? NULL : e53_analyzer_new(rs, &opt);

			for (i = 0; i < inputs.n; i++) {
				struct job *j = &p.jobs[i];

				if (nth > 1) {
					pthread_mutex_lock(&p.mu);
					while (!j->done)
						pthread_cond_wait(&p.cv, &p.mu);
					pthread_mutex_unlock(&p.mu);
				} else if (an) {
					run_job(an, inputs.v[i], j);
				} else {
					e53_result_init(&j->res);
					j->st = E53_ENOMEM;
				}
				if (j->st == E53_ENOMEM && !j->res.refused) {
					fprintf(stderr, "%s: %s: out of memory\n", prog, inputs.v[i]);
					j->res.refused = true;
				}
				unspill(j, out);
				if (j->res.out.len)
					fwrite(j->res.out.data, 1, j->res.out.len, out);
				fflush(out);
				print_msgs(&j->res.msgs);
				e53_result_merge_counts(&total, &j->res);
				e53_result_release(&j->res);
				pthread_mutex_lock(&p.mu);
				p.printing = i + 1;
				pthread_cond_broadcast(&p.cv);
				pthread_mutex_unlock(&p.mu);
				__atomic_store_n(&pg.done, i + 1, __ATOMIC_RELAXED);
			}
			e53_analyzer_free(&an);
		}
		for (i = 0; th && i < nth; i++)
			pthread_join(th[i], NULL);
		free(th);
		free(p.jobs);
		pthread_mutex_destroy(&p.mu);
		pthread_cond_destroy(&p.cv);
	}
	progress_stop(&pg);
	{
		struct e53_buf sum;

		e53_buf_init(&sum, 0);
		e53_render_summary(&opt, &total, inputs.n, &sum);
		if (sum.len)
			fwrite(sum.data, 1, sum.len, out);
		e53_buf_release(&sum);
	}
	if (total.refused)
		rc = 2;
	else if (total.by_outcome[E53_OUT_FAILURE])
		rc = 1;
	if (spill_lost) {
		fprintf(stderr, "%s: a report kept in a temporary file (TMPDIR) could not be read back; the output is incomplete\n",
			prog);
		rc = 2;
	}
	if (out != stdout) {
		if (fclose(out) != 0) {
			fprintf(stderr, "%s: %s: write error: %s\n", prog, output, strerror(errno));
			rc = 2;
		}
	} else if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		rc = 2;
	}
	e53_result_release(&total);
	e53_redactor_free(&opt.redact);
	e53_rules_free(&rs);
	strv_free(&inputs);
	strv_free(&rule_files);
	return rc;
}
