// tests/wasm/node_run.mjs: run a WASI Preview 1 command under node:wasi, as a
// reference for the differential test (wasi_diff.sh) and for checking test
// modules by hand.
//   node --no-warnings node_run.mjs [--dir HOST::GUEST]... [--env K=V]... MODULE [ARGS...]
// Exits with the module's exit code.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { basename } from 'node:path';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const flag = argv.shift();
  const value = argv.shift();
  if (flag === '--dir') {
    const [host, guest] = value.split('::');
    preopens[guest] = host;
  } else if (flag === '--env') {
    const eq = value.indexOf('=');
    env[value.slice(0, eq)] = value.slice(eq + 1);
  } else {
    console.error(`unknown flag ${flag}`);
    process.exit(2);
  }
}
const modulePath = argv.shift();
const wasi = new WASI({
  version: 'preview1',
  args: [basename(modulePath), ...argv],
  env,
  preopens,
  returnOnExit: true,
});
const mod = await WebAssembly.compile(readFileSync(modulePath));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
const code = wasi.start(inst);
process.exitCode = code;
