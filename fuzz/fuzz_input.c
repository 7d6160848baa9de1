/* fuzz_input.c - input detection with gzip, tar, zip and UTF-16 walking,
 * from memory, with small caps so bombs stop early. */
#include "fuzz_common.h"
#include "err53/input.h"

static bool want(void *c, const struct e53_origin *o) { (void)c; (void)o; return true; }
static bool begin(void *c, const struct e53_origin *o) { (void)c; return o->path != NULL; }
static void data(void *c, const char *p, size_t n) { *(size_t *)c += n; (void)p; }
static void end(void *c, const struct e53_origin *o) { (void)c; (void)o; }
static void err(void *c, const struct e53_origin *o, e53_status st, const char *m)
{
	(void)c; (void)o;
	if (!m || st == E53_OK)
		abort();
}
static void warn(void *c, const struct e53_origin *o, const char *m) { (void)c; (void)o; (void)m; }

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct e53_limits lim;
	size_t total = 0;
	struct e53_sink sink = { &total, want, begin, data, end, err, warn };
	struct e53_scan_stats st;

	e53_limits_default(&lim);
	lim.max_member_bytes = 1u << 20;
	lim.max_members = 64;
	e53_scan_mem("fuzz", buf, size, &lim, &sink, &st);
	if (st.bytes != total)
		abort();
	return 0;
}
