/* fuzz_session.c - arbitrary lines through the rules into the session
 * builder, the classifier and the NDJSON renderer (the whole analysis). */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct e53_options opt;
	static struct e53_analyzer *an;
	struct e53_result res;

	if (!an) {
		e53_limits_default(&opt.lim);
		opt.lim.max_line = 4096;
		opt.format = E53_FMT_NDJSON;
		an = e53_analyzer_new(fuzz_rules(), &opt);
		if (!an)
			abort();
	}
	e53_result_init(&res);
	e53_analyze_mem(an, "fuzz.log", data, size, &res);
	/* the report is one JSON object per line, never an empty line */
	if (res.out.len && (res.out.data[res.out.len - 1] != '\n' || strstr(res.out.data, "\n\n")))
		abort();
	e53_result_release(&res);
	return 0;
}
