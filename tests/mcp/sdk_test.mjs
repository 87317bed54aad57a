// tests/mcp/sdk_test.mjs: the official MCP TypeScript SDK client driving
// perch-mcp over stdio.
//
//   node sdk_test.mjs PERCH_MCP FIXTURE_DIR
//
// Runs from the build directory, where sdk_install.sh put the SDK in
// node_modules. Exits 77 (CTest: skipped) when the SDK is not there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [exe, fixtures] = process.argv.slice(2);
if (!exe || !fixtures) {
  console.error('usage: sdk_test.mjs PERCH_MCP FIXTURE_DIR');
  process.exit(2);
}

let Client, StdioClientTransport, McpError;
try {
  ({ Client } = await import('@modelcontextprotocol/sdk/client/index.js'));
  ({ StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js'));
  ({ McpError } = await import('@modelcontextprotocol/sdk/types.js'));
} catch (e) {
  console.log(`SKIP: the MCP TypeScript SDK is not installed (${e.code ?? e.message}); ` +
              'mcp/sdk_install could not fetch it from npm');
  process.exit(77);
}

const open = [];

async function connect(args = []) {
  const transport = new StdioClientTransport({
    command: exe,
    args: [...args, '-f', 'commands.perch'],
    cwd: fixtures,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'perch-sdk-test', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  const handle = { client, transport, stderr: () => stderr };
  open.push(handle);
  return handle;
}

function text(result) {
  assert.equal(result.content.length, 1);
  assert.equal(result.content[0].type, 'text');
  return result.content[0].text;
}

// A `sleep SECONDS` process still running anywhere on this machine?
function sleepRunning(seconds) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('sleep') && argv[1] === seconds) return true;
    } catch { /* gone meanwhile */ }
  }
  return false;
}

async function eventually(pred, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out: ${what}`);
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

let main;

test('initialize: server info and negotiated tools capability', async () => {
  main = await connect();
  const info = main.client.getServerVersion();
  assert.equal(info.name, 'perch-mcp');
  assert.equal(info.title, 'mcp-fixture');
  assert.deepEqual(main.client.getServerCapabilities().tools, { listChanged: false });
  assert.match(main.client.getInstructions(), /Commands the perch-mcp tests call/);
});

test('tools/list: one tool per public command, in order, with generated schemas', async () => {
  const { tools, nextCursor } = await main.client.listTools();
  assert.equal(nextCursor, undefined);
  assert.deepEqual(tools.map((t) => t.name), [
    'ns.echo_word', 'greet', 'add', 'boom', 'lines', 'ticks', 'both_streams', 'slow', 'spin', 'nap', 'bad_utf8',
    'big', 'show_env', 'sandboxed_write', 'ns_echo_word', 'perch_list', 'perch_run',
  ]);
  const greet = tools.find((t) => t.name === 'greet');
  assert.equal(greet.description, 'Greet someone');
  assert.deepEqual(greet.inputSchema, {
    type: 'object',
    properties: {
      who: { type: 'string', description: 'Who to greet' },
      times: { type: 'integer', description: 'How many times', default: 1 },
      loud: { type: 'boolean' },
      ratio: { type: 'number', default: 0.5 },
    },
    required: ['who'],
    additionalProperties: false,
  });
  const dotted = tools.find((t) => t.name === 'ns.echo_word');
  assert.equal(dotted.title, 'ns.echo_word');
  assert.ok(greet.outputSchema, 'outputSchema in 2025-11-25');
  const run = tools.find((t) => t.name === 'perch_run');
  // command or name (the server says which is missing); arguments may sit flat beside it.
  assert.equal(run.inputSchema.required, undefined);
  assert.equal(run.inputSchema.additionalProperties, true);
  assert.equal(run.inputSchema.properties.name.type, 'string');
  assert.equal(run.inputSchema.properties.args.type, 'object');
  assert.ok(!run.inputSchema.properties.command.enum.includes('hidden'));
  assert.ok(!run.inputSchema.properties.command.enum.includes('check_greet'));
});

test('tools/call: good arguments run the command', async () => {
  const r = await main.client.callTool({ name: 'greet', arguments: { who: 'sdk', times: 2 } });
  assert.equal(r.isError, false);
  assert.equal(text(r), 'hello sdk x2 loud=false ratio=0.5\n');
  assert.deepEqual(r.structuredContent,
                   { ok: true, stdout: 'hello sdk x2 loud=false ratio=0.5\n', stderr: '',
                     truncated: false });
  const sum = await main.client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
  assert.equal(text(sum), '42\n');
});

test('tools/call: bad arguments are rejected before anything runs', async () => {
  const cases = [
    [{ a: 'x', b: 1 }, 'argument "a": expected integer, got "x"\n'],
    [{ a: 1.5, b: 1 }, 'argument "a": expected integer, got 1.5\n'],
    [{ a: 1 }, 'missing required argument "b" (integer)\n'],
    [{ a: 1, b: 2, c: 3 }, 'unknown argument "c" (command "add" takes: a, b)\n'],
  ];
  for (const [args, message] of cases) {
    const r = await main.client.callTool({ name: 'add', arguments: args });
    assert.equal(r.isError, true);
    assert.equal(text(r), message);
  }
});

test('tools/call: an unknown tool is a JSON-RPC error -32602', async () => {
  await assert.rejects(main.client.callTool({ name: 'no_such_tool', arguments: {} }),
                       (e) => e instanceof McpError && e.code === -32602 &&
                              /unknown tool "no_such_tool"/.test(e.message));
});

test('tools/call: a failed command returns its output, then the error kind', async () => {
  const r = await main.client.callTool({ name: 'boom', arguments: {} });
  assert.equal(r.isError, true);
  assert.equal(text(r), 'before the failure\ncommands.perch:50:9: error: it broke (fail)\n');
  assert.equal(r.structuredContent.error.kind, 'fail');
  assert.equal(r.structuredContent.error.message, 'it broke');
});

test('tools/call: stdout then stderr; invalid UTF-8 replaced', async () => {
  const both = await main.client.callTool({ name: 'both_streams', arguments: {} });
  assert.equal(text(both), 'to-stdout\nto-stderr\n');
  const bad = await main.client.callTool({ name: 'bad_utf8', arguments: {} });
  assert.equal(text(bad), 'ok \uFFFD\uFFFD end\n');
});

test('tools/call: output past 1 MiB is cut with a note', async () => {
  const r = await main.client.callTool({ name: 'big', arguments: {} });
  const t = text(r);
  assert.ok(Buffer.byteLength(t) < (1 << 20) + 200, `result of ${t.length} bytes`);
  assert.match(t, /\[output truncated: \d+ more bytes not shown; a result carries at most 1 MiB\]\n$/);
  assert.equal(r.structuredContent.truncated, true);
});

test('perch_list and perch_run', async () => {
  const list = await main.client.callTool({ name: 'perch_list', arguments: {} });
  const names = list.structuredContent.commands.map((c) => c.name);
  assert.ok(names.includes('ns.echo_word') && names.includes('greet'));
  assert.ok(!names.includes('hidden') && !names.includes('check_greet'));
  const run = await main.client.callTool({
    name: 'perch_run', arguments: { command: 'ns.echo_word', args: { word: 'via-run' } },
  });
  assert.equal(text(run), 'via-run\n');
  const flat = await main.client.callTool({ name: 'perch_run', arguments: { name: 'add', a: '7', b: 5 } });
  assert.equal(flat.isError, false);
  assert.equal(text(flat), '12\n');
  const missing = await main.client.callTool({ name: 'perch_run', arguments: { command: 'X' } });
  assert.equal(missing.isError, true);
  assert.equal(text(missing), 'command "X" not declared\n');
});

test('progress: every output line is a notification, progress increasing', async () => {
  const seen = [];
  // Lines a little apart: this client handles notifications a tick later
  // than responses, so progress that shares a read with the response is
  // dropped on its side (perch-mcp sends every notification before it).
  const r = await main.client.callTool({ name: 'ticks', arguments: {} }, undefined,
                                       { onprogress: (p) => seen.push(p) });
  assert.equal(text(r), 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
  assert.deepEqual(seen.map((p) => p.message), ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress);
});

test('cancellation stops the run (the subprocess is killed) and the server goes on', async () => {
  const ac = new AbortController();
  let started;
  const startedP = new Promise((r) => { started = r; });
  const call = main.client.callTool({ name: 'slow', arguments: { seconds: '96.5' } }, undefined,
                                    { signal: ac.signal, onprogress: () => started() });
  await startedP;
  await eventually(() => sleepRunning('96.5'), 3000, 'the sleep to start');
  const t0 = Date.now();
  ac.abort('test cancels');
  await assert.rejects(call);
  await eventually(() => !sleepRunning('96.5'), 3000, 'the sleep to be killed');
  assert.ok(Date.now() - t0 < 3000);
  await main.client.ping();
  const r = await main.client.callTool({ name: 'greet', arguments: { who: 'after' } });
  assert.equal(text(r), 'hello after x1 loud=false ratio=0.5\n');
});

// CPU seconds perch-mcp (all its threads) has used so far.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks
}

// A module whose _start loops forever: (func (loop (br 0))), with a memory.
const SPIN_WASM = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: [] -> []
  0x03, 0x02, 0x01, 0x00, // func 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory 1 page
  0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // export "memory"
  0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop br 0 end end
]);

test('cancellation stops a WebAssembly module stuck in a loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perch-mcp-spin-'));
  try {
    const module = join(dir, 'spin.wasm');
    writeFileSync(module, SPIN_WASM);
    const ac = new AbortController();
    let started;
    const startedP = new Promise((r) => { started = r; });
    const call = main.client.callTool({ name: 'spin', arguments: { module } }, undefined,
                                      { signal: ac.signal, onprogress: () => started() });
    await startedP;
    await new Promise((r) => setTimeout(r, 300));
    const pid = main.transport.pid;
    const busy = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(cpuSeconds(pid) - busy >= 0.03, 'the module is spinning');
    ac.abort('test cancels');
    await assert.rejects(call);
    await new Promise((r) => setTimeout(r, 300)); // time to reach the engine's check
    const idle = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 500));
    const used = cpuSeconds(pid) - idle;
    assert.ok(used <= 0.05, `perch-mcp still burns CPU after the cancel (${used} s in 0.5 s)`);
    await main.client.ping();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrency: two calls run at once; ping is served meanwhile', async () => {
  const t0 = Date.now();
  const a = main.client.callTool({ name: 'nap', arguments: {} });
  const b = main.client.callTool({ name: 'nap', arguments: {} });
  await main.client.ping();
  const pingMs = Date.now() - t0;
  const [ra, rb] = await Promise.all([a, b]);
  const ms = Date.now() - t0;
  assert.equal(text(ra), 'rested\n');
  assert.equal(text(rb), 'rested\n');
  assert.ok(pingMs < 800, `ping took ${pingMs} ms while two calls ran`);
  assert.ok(ms < 1900, `two 1 s calls took ${ms} ms`);
});

test('--no-shell: a shell op is denied in every call', async () => {
  const gated = await connect(['--no-shell']);
  const r = await gated.client.callTool({ name: 'both_streams', arguments: {} });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.error.kind, 'sandbox_denied');
  assert.match(text(r), /'shell' needs shell \(denied by no_shell\) \(sandbox_denied\)/);
  const ok = await gated.client.callTool({ name: 'greet', arguments: { who: 'gated' } });
  assert.equal(ok.isError, false);
});

test('--max-runtime: a call past it fails with kind timeout', async () => {
  const bounded = await connect(['--max-runtime', '1']);
  const t0 = Date.now();
  const r = await bounded.client.callTool({ name: 'slow', arguments: { seconds: '95.5' } });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.error.kind, 'timeout');
  assert.ok(Date.now() - t0 < 3000);
  assert.ok(!sleepRunning('95.5'));
});

test('--env "": the host environment is hidden', async () => {
  const bare = await connect(['--env', '']);
  const r = await bare.client.callTool({ name: 'show_env', arguments: { name: 'HOME' } });
  assert.equal(text(r), 'HOME=(unset)\n');
  const full = await main.client.callTool({ name: 'show_env', arguments: { name: 'HOME' } });
  assert.notEqual(text(full), 'HOME=(unset)\n');
});

test('--audit: one NDJSON event per call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perch-mcp-audit-'));
  try {
    const log = join(dir, 'audit.ndjson');
    const audited = await connect(['--audit', log]);
    await audited.client.callTool({ name: 'greet', arguments: { who: 'audit' } });
    await audited.client.callTool({ name: 'boom', arguments: {} });
    await audited.client.callTool({ name: 'perch_run', arguments: { command: 'lines' } });
    await audited.client.close();
    open.splice(open.indexOf(audited), 1);
    await eventually(() => readFileSync(log, 'utf8').includes('session_end'), 3000, 'session_end');
    const all = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const events = all.filter((e) => e.event !== 'op' && e.event !== 'command');
    assert.deepEqual(events.map((e) => e.event),
                     ['session_start', 'tool_call', 'tool_call', 'tool_call', 'session_end']);
    // What each call ran, tied to it by the request id.
    const ran = all.filter((e) => e.call === events[2].call && e.event !== 'tool_call');
    assert.deepEqual(ran.map((e) => [e.event, e.kind, e.ok]),
                     [['op', 'print', true], ['op', 'fail', false], ['command', 'command', false]]);
    assert.deepEqual(ran[0].args, ['before the failure']);
    assert.equal(ran[1].error.kind, 'fail');
    assert.equal(ran[2].error.kind, 'fail');
    assert.deepEqual(events[1].args, { who: 'audit' });
    assert.equal(events[1].ok, true);
    assert.equal(events[2].ok, false);
    assert.equal(events[2].error.kind, 'fail');
    assert.equal(events[3].tool, 'perch_run');
    assert.equal(events[3].command, 'lines');
    assert.deepEqual(events[3].args, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Starts perch-mcp on the fixture, initializes, and starts `slow SECONDS`.
function startSlow(seconds) {
  const child = spawn(exe, ['-f', 'commands.perch'], { cwd: fixtures });
  const run = { child, out: '' };
  child.stdout.on('data', (d) => { run.out += d; });
  run.exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {},
              clientInfo: { name: 'raw', version: '1' } } }) + '\n');
  child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call',
    params: { name: 'slow', arguments: { seconds } } }) + '\n');
  return run;
}

test('stdin EOF (MCP stdio shutdown): the running command finishes, answers, exit 0', async () => {
  const run = startSlow('1.75');
  await eventually(() => sleepRunning('1.75'), 3000, 'the sleep to start');
  run.child.stdin.end();
  const { code } = await run.exited;
  assert.equal(code, 0);
  const lines = run.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[1].id, 2);
  assert.equal(lines[1].result.isError, false);
  assert.equal(lines[1].result.structuredContent.stdout, 'started\nfinished\n');
});

test('SIGTERM: the running command is interrupted at once, answers cancelled, exit 143', async () => {
  const run = startSlow('94.5');
  await eventually(() => sleepRunning('94.5'), 3000, 'the sleep to start');
  const t0 = Date.now();
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 143);
  assert.ok(Date.now() - t0 < 3000, 'exit within 3 s of SIGTERM');
  assert.ok(!sleepRunning('94.5'));
  const lines = run.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[1].id, 2);
  assert.equal(lines[1].result.structuredContent.error.kind, 'cancelled');
});

let failed = 0;
const t0 = Date.now();
for (const { name, fn } of tests) {
  const start = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${(e.stack ?? String(e)).split('\n').join('\n     ')}`);
  }
}
for (const h of open) {
  if (failed && h.stderr()) console.log(`--- perch-mcp stderr ---\n${h.stderr()}`);
  await h.client.close().catch(() => {});
}
console.log(`${tests.length - failed} passed, ${failed} failed in ${Date.now() - t0} ms`);
process.exit(failed ? 1 : 0);
