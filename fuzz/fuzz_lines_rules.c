/* fuzz_lines_rules.c - the line splitter plus the rule engine on one block,
 * fed in two pieces at a data-chosen split so carries are exercised. */
#include "fuzz_common.h"
#include "err53/lines.h"

struct ctx {
	struct e53_matcher *m;
	unsigned events;
};

static void on_event(void *c, const struct e53_event *ev)
{
	struct ctx *x = c;
	unsigned i;

	/* a captured field must end inside the line it starts in */
	for (i = 0; i < E53_F__COUNT; i++)
		if (ev->f[i].p && ev->f[i].p >= ev->text && ev->f[i].p <= ev->text + ev->text_len &&
		    ev->f[i].p + ev->f[i].n > ev->text + ev->text_len)
			abort();
	x->events++;
}

static void on_line(void *c, const char *line, size_t len, uint64_t lineno)
{
	struct ctx *x = c;

	e53_match_line(x->m, line, len, lineno, on_event, x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx x = { e53_matcher_new(fuzz_rules()), 0 };
	struct e53_lines l;
	size_t cut = size ? data[0] % (size + 1) : 0;

	if (!x.m || e53_lines_init(&l, 512, on_line, &x))
		abort();
	e53_lines_feed(&l, (const char *)data, cut);
	e53_lines_feed(&l, (const char *)data + cut, size - cut);
	e53_lines_finish(&l);
	e53_lines_release(&l);
	e53_matcher_free(&x.m);
	return 0;
}
