/* examples/02-jsonschema/regex.h: the regular expressions of JSON Schema's
 * "pattern" and "patternProperties" (an ECMA-262 subset), for the
 * jsonschema module.
 *
 * Supported: literals (UTF-8), '.', classes '[a-z]' '[^...]' with ranges and
 * escapes, \d \D \w \W \s \S, \b \B, ^ $, groups '(...)' '(?:...)'
 * '(?<name>...)', alternation '|', lookahead '(?=...)' '(?!...)', the
 * quantifiers * + ? {n} {n,} {n,m} and their lazy forms, escapes \n \r \t
 * \f \v \0 \xHH \uHHHH and escaped punctuation. Not supported (a compile
 * error): backreferences, lookbehind, Unicode property escapes.
 *
 * Matching searches anywhere in the subject (patterns are not implicitly
 * anchored), by backtracking with a step budget and a depth limit, so a
 * pathological pattern fails with RE_TOO_COMPLEX instead of running for
 * ever or exhausting the stack.
 */
#ifndef PERCH_EXAMPLES_REGEX_H
#define PERCH_EXAMPLES_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct regex;

enum re_result { RE_NO_MATCH = 0, RE_MATCH = 1, RE_TOO_COMPLEX = -1 };

/* Compiles 'pattern' (UTF-8, 'len' bytes). Returns NULL with a message in
 * 'msg' when the syntax is wrong or unsupported. Free with regex_free. */
struct regex *regex_compile(const char *pattern, size_t len, char *msg, size_t msg_cap);
void regex_free(struct regex *re);

/* Searches 's' (UTF-8, 'len' bytes) for a match. */
enum re_result regex_search(const struct regex *re, const char *s, size_t len);

#endif
