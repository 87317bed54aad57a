/*
 * src/base/progname.h: the name this program speaks under in its own
 * messages ("perch", or a built binary's own name, set by src/cli at start),
 * so that code below the CLI (ops, caches, fatal errors) prefixes its stderr
 * lines the same way.
 */
#ifndef PERCH_BASE_PROGNAME_H
#define PERCH_BASE_PROGNAME_H

/* Set the name; NULL or "" means "perch". 'name' is borrowed and must outlive
 * its use. Call before starting threads. */
void progname_set(const char *name);
/* The name set, "perch" by default. Never NULL. */
const char *progname_get(void);

#endif
