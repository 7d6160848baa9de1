/* fuzz_session.c - arbitrary lines through the rules into the session
 * builder, the classifier and the NDJSON renderer (the whole analysis),
 * twice: with the parse pipeline (matcher thread, block scan, quiet-line
 * counting) and without it; the two reports must be the same bytes. */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct e53_options opt, opt_direct;
	static struct e53_analyzer *an, *an_direct;
	struct e53_result res, res_direct;

	if (!an) {
		e53_limits_default(&opt.lim);
		opt.lim.max_line = 4096;
		opt.format = E53_FMT_NDJSON;
		opt_direct = opt;
		opt.lim.pipeline = true;
		an = e53_analyzer_new(fuzz_rules(), &opt);
		an_direct = e53_analyzer_new(fuzz_rules(), &opt_direct);
		if (!an || !an_direct)
			abort();
	}
	e53_result_init(&res);
	e53_result_init(&res_direct);
	e53_analyze_mem(an, "fuzz.log", data, size, &res);
	e53_analyze_mem(an_direct, "fuzz.log", data, size, &res_direct);
	/* the report is one JSON object per line, never an empty line */
	if (res.out.len && (res.out.data[res.out.len - 1] != '\n' || strstr(res.out.data, "\n\n")))
		abort();
	if (res.out.len != res_direct.out.len || res.msgs.len != res_direct.msgs.len ||
	    (res.out.len && memcmp(res.out.data, res_direct.out.data, res.out.len)) ||
	    (res.msgs.len && memcmp(res.msgs.data, res_direct.msgs.data, res.msgs.len)))
		abort();
	e53_result_release(&res);
	e53_result_release(&res_direct);
	return 0;
}
