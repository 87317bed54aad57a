/*
 * src/base/glob.h: shell-style file name patterns.
 *
 * Syntax, per path element: '*' any run of characters, '?' one character,
 * '[abc]' / '[a-z]' / '[!a-z]' (or '[^a-z]') one character of a set, '\x'
 * a literal x. A whole element '**' matches zero or more directories ("a
 * globstar"); as the last element it matches every entry below. Braces
 * give alternatives, as in shells: "src/{a,b}/x.{c,h}" (they may nest; a
 * pair without a comma is literal). Wildcards
 * never match '/', and a leading '.' of a name only matches a literal '.'
 * in the pattern, so hidden files stay hidden unless asked for ('.*').
 * '**' does not descend into hidden directories or through symlinks to
 * directories (so it cannot loop). A pattern ending in '/' matches
 * directories only, and its results end in '/' too ("src/" for a directory
 * src matched by a star and a slash).
 */
#ifndef PERCH_BASE_GLOB_H
#define PERCH_BASE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

struct err;

/* Matched paths, owned. */
struct glob_paths {
    char **items;
    size_t count, cap;
};

void glob_paths_release(struct glob_paths *paths);

/* True when 'pattern' contains an unescaped wildcard ('*', '?', '['). */
bool glob_has_magic(const char *pattern);

/* Match one path element 'name' against the element pattern 'pattern'
 * (no '/' in either). The leading-dot rule applies. */
bool glob_match(const char *pattern, const char *name);

/*
 * Expand 'pattern' on the filesystem. A relative pattern is taken relative
 * to 'cwd' (absolute) and yields relative paths spelled as the pattern
 * spells its literal parts ("./src/a?.c" → "./src/ab.c"); an absolute pattern
 * yields absolute paths. Results are sorted bytewise with duplicates removed
 * and appended to 'out'. No match is not an error (out stays as it was);
 * unreadable directories are skipped. Fails with ERR_USAGE on an empty
 * pattern and ERR_LIMIT beyond 'max_results' paths (0 = 1,000,000), 1024
 * brace alternatives or a 4096-byte pattern.
 */
bool glob_expand(const char *cwd, const char *pattern, size_t max_results, struct glob_paths *out,
                 struct err *err);

#endif
