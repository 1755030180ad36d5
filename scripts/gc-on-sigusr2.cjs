// Preload for scripts/measure-rss.mjs --gc (node -r): on SIGUSR2, runs two full garbage collections and prints the
// process's heap before and after to stderr as one JSON line, so RSS can be read without the garbage a burst
// leaves. Measurement only; never loaded by Chartmine itself.
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const mb = (m) => ({ rss: m.rss >> 20, heapUsed: m.heapUsed >> 20, heapTotal: m.heapTotal >> 20 });
process.on('SIGUSR2', () => {
  const before = mb(process.memoryUsage());
  gc();
  gc();
  process.stderr.write(JSON.stringify({ gcOnSignal: process.pid, before, after: mb(process.memoryUsage()) }) + '\n');
});
