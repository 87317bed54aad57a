/*
 * main_mcp.c: main() of `perch-mcp`, the MCP server over stdio. Everything
 * happens in cli_mcp_main() (cli_mcp.c), which `perch mcp` shares.
 */
#include "cli/cli.h"

int
main(int argc, char **argv)
{
    return cli_mcp_main(argc, argv);
}
