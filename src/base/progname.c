/* progname.c: the program's name for its own messages (see progname.h). */
#include "base/progname.h"

static const char *progname = "perch";

void
progname_set(const char *name)
{
    progname = name && *name ? name : "perch";
}

const char *
progname_get(void)
{
    return progname;
}
