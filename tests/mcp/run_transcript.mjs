// tests/mcp/run_transcript.mjs: replay one raw JSON-RPC transcript against
// perch-mcp and compare what it writes with the expected messages.
//
//   node run_transcript.mjs PERCH_MCP FIXTURE_DIR NAME.in.jsonl [--update]
//
// NAME.in.jsonl holds the lines sent to perch-mcp's stdin, one message a
// line, sent verbatim (so broken JSON is fine). Lines starting with '#' are
// comments, except these directives:
//   #! args A B ...   command-line arguments ('' is an empty argument)
//   #! nowait         send the next line without waiting for its answer
//   #! sleep MS       pause before the next line
//   #! await N        wait until N messages in all have come from perch-mcp
//   #! raw TEXT       send TEXT as a line (for lines that start with '#')
//   #! blank          send an empty line
//   #! crlf TEXT      send TEXT ending in CR LF
//   #! long ID BYTES  send a ping with id ID padded to about BYTES bytes
//   #! final TEXT     send TEXT without a newline (the last thing sent)
//   #! loose-errors   compare run errors by kind only: the interpreter's
//                     wording (and err.code) is not what these tests pin down
// After a line that deserves an answer (anything but a notification or a
// response), the driver waits for the next response before sending more, so
// the order of the output is deterministic. At the end it closes stdin,
// waits for the exit (status 0 expected) and compares every message written
// to stdout with NAME.out.jsonl (one JSON value a line), after normalising
// what varies: serverInfo.version, the fixture directory's path, the order
// of the answers inside a batch.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const [exe, fixtures, inPath, flag] = process.argv.slice(2);
if (!exe || !fixtures || !inPath) {
  console.error('usage: run_transcript.mjs PERCH_MCP FIXTURE_DIR NAME.in.jsonl [--update]');
  process.exit(2);
}
const outPath = inPath.replace(/\.in\.jsonl$/, '.out.jsonl');
const name = basename(inPath);
const TIMEOUT_MS = 15000;

function parseArgs(text) {
  const args = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let m;
  while ((m = re.exec(text)) !== null) args.push(m[1] ?? m[2] ?? m[3]);
  return args;
}

// The script: a list of steps.
const steps = [];
let args = [];
let looseErrors = false;
for (const line of readFileSync(inPath, 'utf8').split('\n')) {
  if (line.startsWith('#! args')) args = parseArgs(line.slice(7));
  else if (line.startsWith('#! nowait')) steps.push({ nowait: true });
  else if (line.startsWith('#! sleep ')) steps.push({ sleep: Number(line.slice(9)) });
  else if (line.startsWith('#! await ')) steps.push({ await: Number(line.slice(9)) });
  else if (line.startsWith('#! raw ')) steps.push({ send: line.slice(7) });
  else if (line.startsWith('#! blank')) steps.push({ send: '' });
  else if (line.startsWith('#! crlf ')) steps.push({ send: line.slice(8) + '\r' });
  else if (line.startsWith('#! long ')) {
    const [id, bytes] = line.slice(8).trim().split(/\s+/).map(Number);
    steps.push({ send: `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"pad":"` +
                       'x'.repeat(bytes) + '"}}' });
  } else if (line.startsWith('#! final ')) steps.push({ send: line.slice(9), final: true });
  else if (line.startsWith('#! loose-errors')) looseErrors = true;
  else if (line.startsWith('#') || line === '') continue;
  else steps.push({ send: line });
}

function expectsAnswer(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return line.trim() !== '';
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return true;
  if (typeof msg.method === 'string' && !('id' in msg) && msg.jsonrpc === '2.0') return false;
  if (!('method' in msg) && ('result' in msg) !== ('error' in msg) && 'id' in msg &&
      msg.jsonrpc === '2.0') return false;
  return true;
}

const child = spawn(exe, args, { cwd: fixtures, stdio: ['pipe', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
const messages = [];
let waiters = [];
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  stdout += chunk;
  let nl;
  while ((nl = stdout.indexOf('\n')) >= 0) {
    const line = stdout.slice(0, nl);
    stdout = stdout.slice(nl + 1);
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = { NOT_JSON: line };
    }
    messages.push(msg);
    waiters = waiters.filter((w) => !w());
  }
});
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk) => { stderr += chunk; });
const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));

// Answers so far: responses and batch answers (arrays).
function responses() {
  return messages.filter((m) => Array.isArray(m) ||
                                (m && typeof m === 'object' && 'id' in m && !('method' in m)))
    .length;
}

function waitFor(pred, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
    const check = () => {
      if (!pred()) return false;
      clearTimeout(timer);
      resolve();
      return true;
    };
    if (!check()) waiters.push(check);
  });
}

// With #! loose-errors: "error: MESSAGE (KIND)" lines and structured
// errors keep only their kind.
function loosen(msg) {
  const r = msg?.result;
  if (!looseErrors || !r || !r.isError) return msg;
  const out = structuredClone(msg);
  for (const c of out.result.content ?? [])
    if (typeof c.text === 'string')
      c.text = c.text.replace(/^(?:\S*:\d+(?::\d+)?: )?error: .* \(([a-z_]+)\)$/m,
                              'error: <message> ($1)');
  const e = out.result.structuredContent?.error;
  if (e) {
    e.message = '<message>';
    delete e.code;
    delete e.file;
    delete e.line;
    delete e.column;
  }
  return out;
}

// A batch's answers may come in any order: compare them sorted by id.
function normaliseMessage(msg) {
  const n = normalise(msg);
  if (Array.isArray(n))
    n.sort((a, b) => JSON.stringify(a?.id ?? null).localeCompare(JSON.stringify(b?.id ?? null)));
  return n;
}

function normalise(value) {
  if (typeof value === 'string') return value.split(fixtures).join('<fixtures>');
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) {
      out[k] = k === 'serverInfo' && value[k] && typeof value[k] === 'object'
        ? normalise({ ...value[k], version: 'VERSION' })
        : normalise(value[k]);
    }
    return out;
  }
  return value;
}

async function main() {
  let nowait = false;
  for (const step of steps) {
    if (step.nowait) { nowait = true; continue; }
    if (step.sleep) { await new Promise((r) => setTimeout(r, step.sleep)); continue; }
    if (step.await) {
      await waitFor(() => messages.length >= step.await, `${step.await} messages`);
      continue;
    }
    const before = responses();
    child.stdin.write(step.final ? step.send : step.send + '\n');
    if (step.final) break; /* answered only once stdin ends */
    if (!nowait && expectsAnswer(step.send))
      await waitFor(() => responses() > before, `an answer to: ${step.send.slice(0, 120)}`);
    nowait = false;
  }
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const { code, sig } = await exited;
  clearTimeout(timer);
  const actual = messages.map((m) => JSON.stringify(normaliseMessage(loosen(m))));
  if (stdout !== '') actual.push(JSON.stringify({ UNTERMINATED: stdout }));

  if (flag === '--update') {
    writeFileSync(outPath, actual.join('\n') + (actual.length ? '\n' : ''));
    console.log(`${name}: wrote ${actual.length} messages to ${outPath}`);
    return 0;
  }
  let expected = [];
  try {
    expected = readFileSync(outPath, 'utf8').split('\n').filter((l) => l.trim() !== '')
      .map((l) => JSON.stringify(normaliseMessage(loosen(JSON.parse(l)))));
  } catch (e) {
    console.error(`${name}: cannot read ${outPath}: ${e.message}`);
    return 1;
  }
  let failed = false;
  if (code !== 0) {
    console.error(`${name}: perch-mcp exited with ${code ?? sig}, expected 0`);
    failed = true;
  }
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      console.error(`${name}: message ${i + 1} differs\n  expected: ${expected[i] ?? '(none)'}\n` +
                    `  actual:   ${actual[i] ?? '(none)'}`);
      failed = true;
    }
  }
  if (failed) {
    if (stderr) console.error(`--- perch-mcp stderr ---\n${stderr}`);
    return 1;
  }
  console.log(`${name}: ${actual.length} messages match`);
  return 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.error(`${name}: ${e.message}`);
  if (stderr) console.error(`--- perch-mcp stderr ---\n${stderr}`);
  child.kill('SIGKILL');
  process.exit(1);
});
