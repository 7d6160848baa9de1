/* err53/tables.h: the lookup tables (restore operations, final statuses,
 * Apple restore error codes, device checkpoint steps, device models) and
 * their look-ups.
 *
 * The facts live in the TSV files in data/; scripts/gen-tables compiles
 * them into build/tables_data.c, which defines the arrays and counts below.
 * The look-up functions are in src/tables.c. Every string is a static literal
 * (never free, never modify); a NULL string field means the TSV cell was
 * empty ("not known"). */
#ifndef ERR53_TABLES_H
#define ERR53_TABLES_H
#include <stddef.h>

struct e53_operation { int code; const char *constant; const char *message; const char *subsystem; const char *old_name; const char *note; };
struct e53_status_msg { int status; const char *message; const char *apple_name; };
struct e53_error_code { long lo, hi; const char *apple_name; const char *category; const char *meaning; const char *source; };  /* lo==hi except the 3100-3999 range row */
struct e53_step { unsigned id; const char *name; const char *subsystem; };
struct e53_device { const char *product_type; const char *name; const char *biometric; const char *home_button; const char *dfu_family; const char *note; };

extern const struct e53_operation e53_operations[]; extern const size_t e53_n_operations;   /* sorted by code */
extern const struct e53_status_msg e53_statuses[];  extern const size_t e53_n_statuses;     /* in file order */
extern const struct e53_error_code e53_errors[];    extern const size_t e53_n_errors;       /* sorted by lo */
extern const struct e53_step e53_steps[];           extern const size_t e53_n_steps;        /* sorted by id */
extern const struct e53_device e53_devices[];       extern const size_t e53_n_devices;      /* file order */

/* Look-ups return NULL when unknown. Returned pointers are to static tables (never free).
 * Functions taking (text, len) read exactly len bytes, need no NUL terminator,
 * and return NULL for a NULL pointer. */

/* Exact code, bsearch. Apply e53_operation_adapt() to a device's raw code first. */
const struct e53_operation *e53_operation_lookup(int code);

/* The protocol shift: protocol >= 0 && protocol < 14 && raw > 35 -> raw + 1;
 * else raw. protocol < 0 means unknown -> raw. (INT_MAX stays INT_MAX.) */
int e53_operation_adapt(int raw, int protocol);

/* Exact Status value; -1 is GenericError (the device sends it as uint64 all-ones). */
const struct e53_status_msg *e53_status_lookup(int status);

/* text = the message without the "Status: " prefix; a trailing run of '.'
 * and whitespace is ignored on both sides (input and table), as is leading
 * whitespace of the input. The compare is case-sensitive. Text shared by
 * several statuses (50 and 51) returns the FIRST row in file order (50). */
const struct e53_status_msg *e53_status_by_text(const char *text, size_t len);

/* Exact rows first, then the range row (3194 -> its own row; 3150 -> 3100-3999). */
const struct e53_error_code *e53_error_lookup(long code);

/* id is masked to the low 16 bits first (0x1107067B and 4294968955 both find 0x067B). */
const struct e53_step *e53_step_lookup(unsigned id);

/* Exact, case-sensitive step name; the first row (lowest id) if a name repeats. */
const struct e53_step *e53_step_by_name(const char *name, size_t len);

/* Case-insensitive (ASCII) compare of the ProductType ("iphone8,1" finds iPhone8,1). */
const struct e53_device *e53_device_lookup(const char *product_type, size_t len);

/* The report contract mapping from a stage subsystem to result.category:
 * tss->network; filesystem,nand->storage; mesa,fdr->fdr;
 * savage,yonkers,secure-element->secure-element; sep,baseband,usb,battery->same;
 * boot,firmware,other->unknown; NULL/unknown->"unknown". Never returns NULL. */
const char *e53_category_for_subsystem(const char *subsystem);

#endif
