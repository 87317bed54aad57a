#!/bin/sh
# tests/mcp/sdk_install.sh DIR: install the MCP TypeScript SDK (package.json,
# already copied into DIR by CMake) into DIR/node_modules with npm. Never
# fails the build: when npm is missing or the registry is out of reach, it
# says so and the SDK test skips itself.
dir=$1
if [ -f "$dir/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
    echo "MCP SDK already installed in $dir"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: npm not found; the MCP SDK client test will be skipped"
    exit 0
fi
cd "$dir" || exit 0
if npm install --no-audit --no-fund --loglevel=error; then
    echo "MCP SDK installed in $dir"
else
    echo "SKIP: npm could not install @modelcontextprotocol/sdk; the MCP SDK client test will be skipped"
fi
exit 0
