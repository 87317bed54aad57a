// examples/run-node.mjs: run an example's WASI Preview 1 module under node's
// WASI, with the same guest paths perch gives it. Used only to check the
// example modules when perch's own engine is not available; perch is the
// real runner.
//
//   node --no-warnings examples/run-node.mjs [OPTIONS] MODULE.wasm [ARGS...]
//
//   --ro HOST        mount HOST at /ro/<basename of HOST> (dir or single file)
//   --rw HOST        mount HOST at /rw/<basename of HOST> (dir)
//   --dir HOST::GUEST  mount HOST at the guest path GUEST
//   --env K=V        add one environment variable (none by default)
//
// argv[0] inside the module is the module's basename, as under perch.
// node's WASI cannot preopen a single file, so a single-file mount is copied
// into a temporary directory preopened at /ro (the guest path stays
// /ro/<basename>). node does not enforce read-only mounts; perch does.
// Exits with the module's exit code; 2 on a usage error.
import { readFileSync, statSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { basename, resolve, join } from 'node:path';
import { tmpdir } from 'node:os';
import { WASI } from 'node:wasi';

function usage(msg) {
  process.stderr.write(`run-node: ${msg}\n` +
    'usage: run-node.mjs [--ro HOST] [--rw HOST] [--dir HOST::GUEST] [--env K=V] MODULE.wasm [ARGS...]\n');
  process.exit(2);
}

const preopens = {};
const env = {};
let fileDir = null;
const argv = process.argv.slice(2);
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith('--')) break;
  const v = argv[++i];
  if (v === undefined) usage(`${a} needs a value`);
  if (a === '--ro' || a === '--rw') {
    const host = resolve(v);
    let st;
    try { st = statSync(host); } catch { usage(`mount path does not exist: ${v}`); }
    const guest = `/${a.slice(2)}/${basename(host)}`;
    if (st.isDirectory()) {
      preopens[guest] = host;
    } else {
      if (a === '--rw') usage(`--rw needs a directory: ${v}`);
      if (fileDir === null) {
        fileDir = mkdtempSync(join(tmpdir(), 'run-node-'));
        preopens['/ro'] = fileDir;
      }
      copyFileSync(host, join(fileDir, basename(host)));
    }
  } else if (a === '--dir') {
    const at = v.indexOf('::');
    if (at <= 0) usage(`--dir needs HOST::GUEST, got ${v}`);
    preopens[v.slice(at + 2)] = resolve(v.slice(0, at));
  } else if (a === '--env') {
    const eq = v.indexOf('=');
    if (eq <= 0) usage(`--env needs K=V, got ${v}`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  } else {
    usage(`unknown option ${a}`);
  }
}
if (i >= argv.length) usage('missing MODULE.wasm');
const modPath = argv[i];
const args = [basename(modPath), ...argv.slice(i + 1)];

let code = 2;
try {
  const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
  const mod = await WebAssembly.compile(readFileSync(modPath));
  const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
  code = wasi.start(inst);
} catch (e) {
  process.stderr.write(`run-node: ${modPath}: ${e.message}\n`);
  code = 2;
} finally {
  if (fileDir !== null) rmSync(fileDir, { recursive: true, force: true });
}
process.exitCode = code;
