/*
 * src/base/duration.h: durations as scripts write them ("500ms", "30s",
 * "5m", "1h30m", "7d", "2w", or a bare number of seconds) and as reports
 * print them ("340ms", "1.2s", "5m30s", "29d23h").
 */
#ifndef PERCH_BASE_DURATION_H
#define PERCH_BASE_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Room for any duration_format() result, NUL included. */
#define DURATION_FORMAT_MAX 32

/*
 * Parse 'text': one or more <number><unit> parts (units ns, us, ms, s, m,
 * h, d, w; a number may have a fraction: "1.5h"), or a bare non-negative
 * number meaning seconds. Surrounding spaces are ignored. Fails with
 * ERR_USAGE and a message naming the text and the problem (empty, unknown
 * unit, missing number, negative, too large).
 */
bool duration_parse(const char *text, int64_t *out_ns, struct err *err);
/* duration_parse, rounded up to whole milliseconds. */
bool duration_parse_ms(const char *text, int64_t *out_ms, struct err *err);

/*
 * Compact text for 'ns' into 'buf' (at least DURATION_FORMAT_MAX bytes is
 * always enough): below 1ms "850µs", below 1s "340ms", below 1m one decimal
 * "1.2s", then two units truncated: "5m30s", "1h30m", "29d23h" (a zero
 * second unit is dropped: "7d"). Negative values print as "0ms".
 * Returns 'buf'.
 */
char *duration_format(int64_t ns, char *buf, size_t size);

#endif
