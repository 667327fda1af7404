// What a browser downloads on its first visit to each page: the main wasm module, its JavaScript
// glue, the stylesheet and, for a page whose code is split off (`#[lazy_route]`, built with
// `cargo leptos build --split`), the split loader and the chunks the page's view needs (from
// `__wasm_split_manifest.json`). Each file raw, gzip (-9) and brotli (quality 11, what precompressed
// assets would be served as), compressed one by one as they are served.
// Usage: node scripts/first-load-size.mjs [site-root]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const pkg = join(process.argv[2] ?? 'target/site', 'pkg');
const cache = new Map();
function sizes(name) {
  if (!cache.has(name)) {
    const data = readFileSync(join(pkg, name));
    cache.set(name, {
      raw: data.length,
      gzip: gzipSync(data, { level: 9 }).length,
      brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  return cache.get(name);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const row = (label, s) => console.log(`${label.padEnd(34)} ${kb(s.raw).padStart(10)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
const sum = (names) => names.map(sizes).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));

const base = ['seatkeeper.wasm', 'seatkeeper.js', 'seatkeeper.css'];
console.log(`${'file or page'.padEnd(34)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)} ${'brotli'.padStart(10)}`);
for (const name of base) row(name, sizes(name));
row('first load, main module only', sum(base));
const manifestPath = join(pkg, '__wasm_split_manifest.json');
if (existsSync(manifestPath)) {
  const loader = '__wasm_split.______________________.js';
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const [split, chunks] of Object.entries(manifest)) {
    const page = split.replace(/^__/, '').replace(/_view_\d+$/, '');
    row(`first load of the ${page} page`, sum([...base, loader, ...chunks.map((c) => `${c}.wasm`)]));
  }
}
